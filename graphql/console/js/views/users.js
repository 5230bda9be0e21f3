// The users list: the simple search (debounced), the filter builder,
// sortable columns, keyset paging with a choice of page size, and the total
// on request, all of it in the URL; rows selected for bulk actions.
import { run } from '../api.js';
import { SearchBox } from '../components/search-box.js';
import { errorMessage } from '../errors.js';
import { formatDateTime, t } from '../i18n.js';
import { roleChoices } from '../roles.js';
import { href, navigate } from '../router.js';
import { Component, html } from '../ui.js';
import { nextSort, PAGE_SIZES, paramsFromView, variablesOf, viewFromParams } from '../users-view.js';
import { allowedActions, BulkReport, nameOf, UserBulk } from './user-bulk.js';
import { UserFilters } from './user-filters.js';

const COLUMNS = [
  { id: 'username', label: 'users.column.username', sort: 'USERNAME' },
  { id: 'name', label: 'users.column.name', sort: 'NAME' },
  { id: 'email', label: 'users.column.email', sort: 'PRIMARY_EMAIL' },
  { id: 'phone', label: 'users.column.phone' },
  { id: 'roles', label: 'users.column.roles' },
  { id: 'status', label: 'users.column.status' },
  { id: 'created', label: 'users.column.created', sort: 'CREATED_AT' },
  { id: 'lastSignIn', label: 'users.column.lastSignIn', sort: 'LAST_SIGN_IN_AT' },
];

/// Whether the API refused the filter itself (rather than, say, a cursor).
function isFilterError(error) {
  return Boolean(error && error.code === 'VALIDATION' && error.field && error.field.startsWith('filter'));
}

/// Props: `params` (the URL's), `permissions`, `initial` (the first page,
/// when the console fetched it along with `me`: `{ variables, data, error }`).
export class Users extends Component {
  constructor(props) {
    super(props);
    this.state = {
      page: null,
      error: null,
      loading: true,
      selected: new Map(),
      roles: null,
      rolesError: null,
      report: null,
    };
    this.request = 0;
    this.rolesRequested = false;
    this.reports = 0;
  }

  componentDidMount() {
    const { initial } = this.props;
    if (this.view().filter.some((condition) => condition.kind === 'roles')) {
      this.needRoles();
    }
    // The first screen's page came with `me`, in the same request.
    if (initial && initial.variables === JSON.stringify(variablesOf(this.view()))) {
      this.setState({ page: initial.data ? initial.data.users : null, error: initial.error, loading: false });
      return;
    }
    this.load();
  }

  componentDidUpdate(previous) {
    if (previous.params.toString() === this.props.params.toString()) {
      return;
    }
    // A bulk action's report is about the page it was done on.
    if (this.state.report) {
      this.setState({ report: null });
    }
    this.load();
  }

  componentWillUnmount() {
    this.request += 1;
  }

  view() {
    return viewFromParams(this.props.params);
  }

  show(changes, options) {
    navigate('users', paramsFromView({ ...this.view(), ...changes }), options);
  }

  async load() {
    const request = ++this.request;
    this.setState({ loading: true, error: null });
    try {
      const data = await run('Users', variablesOf(this.view()));
      // A slower answer to an earlier request must not replace a newer one.
      if (request === this.request) {
        this.setState({ page: data.users, loading: false, selected: new Map() });
      }
    } catch (error) {
      if (request === this.request) {
        this.setState({ error, loading: false });
      }
    }
  }

  // A new search replaces the history entry: Back leaves the list rather
  // than replaying each word typed.
  search = (text) => {
    this.show({ search: text, after: null, before: null }, { replace: true });
  };

  needRoles = () => {
    if (this.rolesRequested || !this.props.permissions.has('roles:read')) {
      return;
    }
    this.rolesRequested = true;
    roleChoices().then(
      (roles) => this.setState({ roles }),
      (error) => {
        this.rolesRequested = false;
        this.setState({ rolesError: errorMessage(error) });
      },
    );
  };

  filterBy = (filter) => {
    this.show({ filter, after: null, before: null });
  };

  select(user, checked) {
    const selected = new Map(this.state.selected);
    if (checked) {
      selected.set(user.id, user);
    } else {
      selected.delete(user.id);
    }
    this.setState({ selected });
  }

  selectPage = (event) => {
    const users = this.state.page ? this.state.page.nodes : [];
    const selected = event.currentTarget.checked ? new Map(users.map((user) => [user.id, user])) : new Map();
    this.setState({ selected });
  };

  finished = (report) => {
    // Keyed anew, so that each report takes the focus.
    this.reports += 1;
    this.setState({ report: { ...report, key: this.reports }, selected: new Map() });
    this.load();
  };

  sortBy(field) {
    this.show({ sort: nextSort(this.view().sort, field), after: null, before: null });
  }

  render({ permissions }, { page, error, loading, selected, roles, rolesError, report }) {
    const view = this.view();
    const pageInfo = page ? page.pageInfo : null;
    const onFirstPage = !view.after && !view.before;
    const selectable = allowedActions(permissions).length > 0;
    const filterError = isFilterError(error) ? error : null;
    const pageError = filterError ? null : error;
    return html`
      <section class="users">
        <div class="heading">
          <h1>${t('users.title')}</h1>
          ${permissions.has('users:write') &&
          html`<a class="button" id="new-user" href=${href('users/new')}>${t('users.create.link')}</a>`}
        </div>
        <div class="toolbar">
          <${SearchBox}
            id="user-search"
            label=${t('users.search')}
            placeholder=${t('users.searchPlaceholder')}
            value=${view.search}
            onSearch=${this.search}
          />
          <label for="page-size">${t('users.pageSize')}</label>
          <select id="page-size" value=${String(view.size)}
            onChange=${(e) => this.show({ size: Number(e.currentTarget.value), after: null, before: null })}>
            ${PAGE_SIZES.map((size) => html`<option value=${String(size)}>${size}</option>`)}
          </select>
          <label class="check">
            <input id="show-count" type="checkbox" checked=${view.count}
              onChange=${(e) => this.show({ count: e.currentTarget.checked })} />
            ${t('users.showCount')}
          </label>
        </div>
        <${UserFilters}
          conditions=${view.filter}
          onChange=${this.filterBy}
          roles=${roles}
          rolesError=${rolesError}
          canPickRoles=${permissions.has('roles:read')}
          onNeedRoles=${this.needRoles}
          error=${filterError}
        />
        <p class="summary" role="status" aria-live="polite">
          ${loading ? t('app.loading') : page ? this.summary(page, view) : ''}
        </p>
        ${pageError && html`<p class="error" role="alert">${errorMessage(pageError, 'users')}</p>`}
        ${report && html`<${BulkReport} key=${report.key} report=${report} onDismiss=${() => this.setState({ report: null })} />`}
        ${selectable &&
        selected.size > 0 &&
        html`<${UserBulk}
          users=${[...selected.values()]}
          permissions=${permissions}
          roles=${roles}
          rolesError=${rolesError}
          onNeedRoles=${this.needRoles}
          onFinished=${this.finished}
        />`}
        <div class="table-wrap">
          <table id="users" aria-busy=${loading ? 'true' : 'false'}>
            <caption class="visually-hidden">${t('users.title')}</caption>
            <thead>
              <tr>${COLUMNS.map((column) => this.header(column, view.sort, selectable && page))}</tr>
            </thead>
            <tbody>
              ${page &&
              page.nodes.map((user) =>
                row(user, selectable ? { checked: selected.has(user.id), onChange: (e) => this.select(user, e.currentTarget.checked) } : null),
              )}
            </tbody>
          </table>
        </div>
        <nav class="pager" aria-label=${t('users.pages')}>
          <button type="button" id="first-page" disabled=${onFirstPage}
            onClick=${() => this.show({ after: null, before: null })}>${t('users.firstPage')}</button>
          <button type="button" id="previous-page" disabled=${!pageInfo || !pageInfo.hasPreviousPage}
            onClick=${() => this.show({ after: null, before: pageInfo.startCursor })}>${t('users.previousPage')}</button>
          <button type="button" id="next-page" disabled=${!pageInfo || !pageInfo.hasNextPage}
            onClick=${() => this.show({ after: pageInfo.endCursor, before: null })}>${t('users.nextPage')}</button>
        </nav>
      </section>
    `;
  }

  summary(page, view) {
    if (page.nodes.length === 0) {
      if (view.filter.length > 0) {
        return t('users.filter.noMatch');
      }
      return view.search ? t('users.noMatch', { search: view.search }) : t('users.none');
    }
    if (typeof page.totalCount === 'number') {
      const key = page.totalCountCapped ? 'users.shownOfCapped' : 'users.shownOfTotal';
      return t(key, { count: page.totalCount, shown: page.nodes.length });
    }
    return t('users.shown', { count: page.nodes.length });
  }

  /// The header of `column`; the username's holds the page's select-all
  /// box when rows can be selected.
  header(column, sort, page) {
    const label = t(column.label);
    if (!column.sort) {
      return html`<th scope="col">${label}</th>`;
    }
    const active = sort.field === column.sort;
    const direction = active ? (sort.direction === 'ASC' ? 'ascending' : 'descending') : undefined;
    return html`
      <th scope="col" aria-sort=${direction}>
        ${column.id === 'username' && page && this.selectAll(page)}
        <button type="button" class="sort" data-sort=${column.sort} onClick=${() => this.sortBy(column.sort)}>
          ${label}
          <span aria-hidden="true" class="arrow">${active ? (sort.direction === 'ASC' ? '▲' : '▼') : ''}</span>
        </button>
      </th>
    `;
  }

  selectAll(page) {
    const { selected } = this.state;
    const count = page.nodes.filter((user) => selected.has(user.id)).length;
    return html`
      <input type="checkbox" id="select-page" class="select" checked=${count > 0 && count === page.nodes.length}
        indeterminate=${count > 0 && count < page.nodes.length} disabled=${page.nodes.length === 0}
        onChange=${this.selectPage} />
      <label for="select-page" class="visually-hidden">${t('users.bulk.selectPage')}</label>
    `;
  }
}

/// A user's row. The username links to the user's page; with `selection`,
/// a checkbox before it selects the row, labelled by that same link (so the
/// cell's text stays the username alone).
function row(user, selection) {
  const none = html`<span class="none">${t('value.none')}</span>`;
  const link = html`<a href=${href(`users/${encodeURIComponent(user.id)}`)}>${nameOf(user)}</a>`;
  return html`
    <tr key=${user.id} data-id=${user.id} class=${selection && selection.checked ? 'selected' : undefined}>
      <td class="username">${selection
        ? html`<input type="checkbox" id=${`select-${user.id}`} class="select" checked=${selection.checked}
            onChange=${selection.onChange} /><label for=${`select-${user.id}`}>${link}</label>`
        : link}</td>
      <td>${user.name || none}</td>
      <td>${user.primaryEmail || none}</td>
      <td>${user.primaryPhone || none}</td>
      <td>${user.roles.map((role) => role.name).join(', ') || none}</td>
      <td>${user.isSuspended ? html`<span class="badge suspended">${t('users.suspended')}</span>` : t('users.active')}</td>
      <td>${formatDateTime(user.createdAt)}</td>
      <td>${user.lastSignInAt ? formatDateTime(user.lastSignInAt) : html`<span class="none">${t('users.never')}</span>`}</td>
    </tr>
  `;
}

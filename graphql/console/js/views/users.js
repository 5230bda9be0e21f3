// The users list: the simple search (debounced), sortable columns, keyset
// paging with a choice of page size, and the total on request; all of it
// in the URL.
import { run } from '../api.js';
import { debounce } from '../debounce.js';
import { errorMessage } from '../errors.js';
import { formatDateTime, t } from '../i18n.js';
import { navigate } from '../router.js';
import { Component, html } from '../ui.js';
import { nextSort, PAGE_SIZES, paramsFromView, variablesOf, viewFromParams } from '../users-view.js';

/// Typing waits this long for the next key before searching.
const SEARCH_DELAY_MS = 300;

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

export class Users extends Component {
  constructor(props) {
    super(props);
    this.state = { input: viewFromParams(props.params).search, page: null, error: null, loading: true };
    this.request = 0;
    this.typing = false;
    this.searchLater = debounce((search) => this.search(search), SEARCH_DELAY_MS);
  }

  componentDidMount() {
    this.load();
  }

  componentDidUpdate(previous) {
    if (previous.params.toString() === this.props.params.toString()) {
      return;
    }
    // Back, forward or a link changed the search: show it in the box.
    if (!this.typing) {
      const { search } = this.view();
      if (search !== this.state.input) {
        this.setState({ input: search });
      }
    }
    this.load();
  }

  componentWillUnmount() {
    this.searchLater.cancel();
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
        this.setState({ page: data.users, loading: false });
      }
    } catch (error) {
      if (request === this.request) {
        this.setState({ error, loading: false });
      }
    }
  }

  search(text) {
    this.typing = false;
    // A new search replaces the history entry: Back leaves the list rather
    // than replaying each word typed.
    this.show({ search: text.trim(), after: null, before: null }, { replace: true });
  }

  onInput = (event) => {
    this.typing = true;
    this.setState({ input: event.currentTarget.value });
    this.searchLater(event.currentTarget.value);
  };

  onSubmit = (event) => {
    event.preventDefault();
    this.searchLater.cancel();
    this.search(this.state.input);
  };

  sortBy(field) {
    this.show({ sort: nextSort(this.view().sort, field), after: null, before: null });
  }

  render(_, { input, page, error, loading }) {
    const view = this.view();
    const pageInfo = page ? page.pageInfo : null;
    const onFirstPage = !view.after && !view.before;
    return html`
      <section class="users">
        <h1>${t('users.title')}</h1>
        <div class="toolbar">
          <form role="search" onSubmit=${this.onSubmit}>
            <label for="user-search">${t('users.search')}</label>
            <input
              id="user-search"
              type="search"
              maxlength="128"
              autocomplete="off"
              value=${input}
              placeholder=${t('users.searchPlaceholder')}
              onInput=${this.onInput}
            />
          </form>
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
        <p class="summary" role="status" aria-live="polite">
          ${loading ? t('app.loading') : page ? this.summary(page, view) : ''}
        </p>
        ${error && html`<p class="error" role="alert">${errorMessage(error, 'users')}</p>`}
        <div class="table-wrap">
          <table id="users" aria-busy=${loading ? 'true' : 'false'}>
            <caption class="visually-hidden">${t('users.title')}</caption>
            <thead>
              <tr>${COLUMNS.map((column) => this.header(column, view.sort))}</tr>
            </thead>
            <tbody>
              ${page && page.nodes.map((user) => row(user))}
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
      return view.search ? t('users.noMatch', { search: view.search }) : t('users.none');
    }
    if (typeof page.totalCount === 'number') {
      return t('users.shownOfTotal', { count: page.totalCount, shown: page.nodes.length });
    }
    return t('users.shown', { count: page.nodes.length });
  }

  header(column, sort) {
    const label = t(column.label);
    if (!column.sort) {
      return html`<th scope="col">${label}</th>`;
    }
    const active = sort.field === column.sort;
    const direction = active ? (sort.direction === 'ASC' ? 'ascending' : 'descending') : undefined;
    return html`
      <th scope="col" aria-sort=${direction}>
        <button type="button" class="sort" data-sort=${column.sort} onClick=${() => this.sortBy(column.sort)}>
          ${label}
          <span aria-hidden="true" class="arrow">${active ? (sort.direction === 'ASC' ? '▲' : '▼') : ''}</span>
        </button>
      </th>
    `;
  }
}

function row(user) {
  const none = html`<span class="none">${t('value.none')}</span>`;
  return html`
    <tr key=${user.id} data-id=${user.id}>
      <td>${user.username || none}</td>
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

// The roles list: search (debounced), forward keyset paging, and on
// request how many users hold each role; all of it in the URL.
import { run } from '../api.js';
import { Pager } from '../components/pager.js';
import { SearchBox } from '../components/search-box.js';
import { errorMessage } from '../errors.js';
import { takeFlash } from '../flash.js';
import { formatCount, formatNumber, t } from '../i18n.js';
import { href, navigate } from '../router.js';
import { html } from '../ui.js';
import { UrlPage } from './url-page.js';

const PAGE_SIZE = 20;

/// `q`: the search; `after`: the page's cursor; `holders=1`: count each
/// role's holders (it reads every holder, so only on request).
function viewOf(params) {
  return {
    search: params.get('q') || '',
    after: params.get('after') || null,
    holders: params.get('holders') === '1',
  };
}

function paramsOf(view) {
  const params = new URLSearchParams();
  if (view.search) {
    params.set('q', view.search);
  }
  if (view.after) {
    params.set('after', view.after);
  }
  if (view.holders) {
    params.set('holders', '1');
  }
  return params;
}

/// Props: `params` (the URL's), `permissions` (the caller's).
export class Roles extends UrlPage {
  constructor(props) {
    super(props);
    this.state = { page: null, error: null, loading: true, notice: takeFlash() };
  }

  view() {
    const view = viewOf(this.props.params);
    // Counting holders reads users, which needs `users:read`.
    return { ...view, holders: view.holders && this.props.permissions.has('users:read') };
  }

  show(changes, options) {
    navigate('roles', paramsOf({ ...this.view(), ...changes }), options);
  }

  load() {
    const view = this.view();
    const variables = { search: view.search || null, first: PAGE_SIZE, after: view.after, withHolders: view.holders };
    // The holders column follows the page shown, not the URL, until the
    // page asked for arrives.
    return this.fetchLatest(
      () => run('Roles', variables),
      (data) => this.setState({ page: data.roles, counted: view.holders, loading: false }),
    );
  }

  render({ permissions }, { page, counted, error, loading, notice }) {
    const view = this.view();
    return html`
      <section class="roles">
        <div class="heading">
          <h1>${t('roles.title')}</h1>
          ${permissions.has('roles:write') &&
          html`<a class="button" id="new-role" href=${href('roles/new')}>${t('roles.new')}</a>`}
        </div>
        ${notice && html`<p class="notice" role="status">${notice}</p>`}
        <div class="toolbar">
          <${SearchBox} id="role-search" label=${t('roles.search')} placeholder=${t('roles.searchPlaceholder')}
            value=${view.search}
            onSearch=${(search) => this.show({ search, after: null }, { replace: true })} />
          ${permissions.has('users:read') &&
          html`<label class="check">
            <input id="count-holders" type="checkbox" checked=${view.holders}
              onChange=${(e) => this.show({ holders: e.currentTarget.checked })} />
            ${t('roles.countHolders')}
          </label>`}
        </div>
        <p class="summary" role="status" aria-live="polite">
          ${loading ? t('app.loading') : page ? summary(page, view) : ''}
        </p>
        ${error && html`<p class="error" role="alert">${errorMessage(error, 'roles')}</p>`}
        <div class="table-wrap">
          <table id="roles" aria-busy=${loading ? 'true' : 'false'}>
            <caption class="visually-hidden">${t('roles.title')}</caption>
            <thead>
              <tr>
                <th scope="col">${t('roles.column.name')}</th>
                <th scope="col">${t('roles.column.description')}</th>
                <th scope="col">${t('roles.column.permissions')}</th>
                ${counted && html`<th scope="col">${t('roles.column.holders')}</th>`}
              </tr>
            </thead>
            <tbody>
              ${page && page.nodes.map((role) => row(role, counted))}
            </tbody>
          </table>
        </div>
        <${Pager} label=${t('roles.pages')} onFirstPage=${!view.after}
          hasNext=${page && page.pageInfo.hasNextPage}
          onFirst=${() => this.show({ after: null })}
          onNext=${() => this.show({ after: page.pageInfo.endCursor })} />
      </section>
    `;
  }
}

function summary(page, view) {
  if (page.nodes.length === 0) {
    return view.search ? t('roles.noMatch', { search: view.search }) : t('roles.none');
  }
  const key = page.totalCountCapped ? 'roles.shownOfCapped' : 'roles.shownOfTotal';
  return t(key, { count: page.totalCount, shown: page.nodes.length });
}

function row(role, holders) {
  return html`
    <tr key=${role.id} data-id=${role.id}>
      <td>
        <a href=${href(`roles/${encodeURIComponent(role.id)}`)}>${role.name}</a>
        ${role.isDefault && html` <span class="badge default">${t('roles.default')}</span>`}
      </td>
      <td class="description">${role.description || html`<span class="none">${t('value.none')}</span>`}</td>
      <td class="number">${formatNumber(role.permissions.length)}</td>
      ${holders && html`<td class="number">${formatCount(role.users)}</td>`}
    </tr>
  `;
}

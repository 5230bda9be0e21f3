// The user's roles, each with Remove, and a searchable picker to assign
// more (`roles(search:)`, debounced like the users search). The picker
// asks for roles only once the person goes to it.
import { run } from '../../api.js';
import { debounce } from '../../debounce.js';
import { errorMessage } from '../../errors.js';
import { t } from '../../i18n.js';
import { Component, html } from '../../ui.js';

const SEARCH_DELAY_MS = 300;

/// Props: `user`, `abilities`, `onChanged`.
export class Roles extends Component {
  state = { search: '', found: null, busy: false, error: null, searchError: null };
  request = 0;
  searchLater = debounce((search) => this.find(search), SEARCH_DELAY_MS);

  componentWillUnmount() {
    this.searchLater.cancel();
    this.request += 1;
  }

  async find(search) {
    const request = ++this.request;
    try {
      const data = await run('RolePicker', { search: search.trim() || null });
      if (request === this.request) {
        this.setState({ found: data.roles.nodes, searchError: null });
      }
    } catch (error) {
      if (request === this.request) {
        this.setState({ searchError: errorMessage(error) });
      }
    }
  }

  async act(name, variables) {
    this.setState({ busy: true, error: null });
    try {
      await run(name, { userId: this.props.user.id, ...variables });
      await this.props.onChanged();
      this.setState({ busy: false });
    } catch (error) {
      this.setState({ busy: false, error: errorMessage(error) });
    }
  }

  render({ user, abilities }, { search, found, busy, error, searchError }) {
    const held = new Set(user.roles.map((role) => role.id));
    const offered = (found || []).filter((role) => !held.has(role.id));
    return html`
      <section class="panel" aria-labelledby="roles-title">
        <h2 id="roles-title">${t('user.roles.title')}</h2>
        ${user.roles.length === 0
          ? html`<p class="none" id="no-roles">${t('user.roles.none')}</p>`
          : html`
            <ul class="chips" id="user-roles">
              ${user.roles.map((role) => html`
                <li key=${role.id} data-role=${role.name}>
                  <span>${role.name}</span>
                  ${abilities.removeRole && html`
                    <button type="button" class="small remove-role" disabled=${busy}
                      aria-label=${t('user.roles.removeOne', { role: role.name })}
                      onClick=${() => this.act('RemoveUserRole', { roleId: role.id })}>${t('user.roles.remove')}</button>
                  `}
                </li>
              `)}
            </ul>
          `}
        ${error && html`<p class="error" role="alert" id="roles-error">${error}</p>`}
        ${abilities.assignRole && html`
          <div class="picker" role="search">
            <label for="role-search">${t('user.roles.find')}</label>
            <input id="role-search" type="search" autocomplete="off" maxlength="128" value=${search}
              aria-describedby="role-results-status"
              onFocus=${() => found === null && this.find(search)}
              onInput=${(e) => {
                this.setState({ search: e.currentTarget.value });
                this.searchLater(e.currentTarget.value);
              }} />
            <p class="help" id="role-results-status" role="status">
              ${found && (offered.length === 0 ? t('user.roles.noneToAssign') : t('user.roles.offered', { count: offered.length }))}
            </p>
            ${searchError && html`<p class="error" role="alert">${searchError}</p>`}
            <ul class="picker-results" id="role-results">
              ${offered.map((role) => html`
                <li key=${role.id}>
                  <button type="button" class="small assign-role" data-role=${role.name} disabled=${busy}
                    onClick=${() => this.act('AssignUserRoles', { roleIds: [role.id] })}>
                    ${t('user.roles.assign', { role: role.name })}
                  </button>
                  ${role.description && html`<span class="help">${role.description}</span>`}
                </li>
              `)}
            </ul>
          </div>
        `}
      </section>
    `;
  }
}

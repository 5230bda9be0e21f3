// Choosing roles: a checkbox per role, with a box narrowing the list by
// name once there are more than a handful.
import { t } from '../i18n.js';
import { Component, html } from '../ui.js';

const FIND_FROM = 8;

/// Props: `id` (prefix of the controls' ids), `legend`, `roles`
/// (`[{ id, name }]`, null while loading), `error` (loading failed),
/// `selected` (ids), `onChange(ids)`.
export class RolePicker extends Component {
  state = { find: '' };

  toggle(roleId, checked) {
    const selected = new Set(this.props.selected);
    if (checked) {
      selected.add(roleId);
    } else {
      selected.delete(roleId);
    }
    this.props.onChange([...selected]);
  }

  render({ id, legend, roles, error, selected }, { find }) {
    let body;
    if (error) {
      body = html`<p class="error" role="alert">${error}</p>`;
    } else if (!roles) {
      body = html`<p class="help" role="status">${t('app.loading')}</p>`;
    } else if (roles.length === 0) {
      body = html`<p class="help">${t('users.roles.none')}</p>`;
    } else {
      const needle = find.trim().toLowerCase();
      const shown = roles.filter((role) => role.name.toLowerCase().includes(needle));
      body = html`
        ${roles.length > FIND_FROM &&
        html`
          <label for=${`${id}-find`}>${t('users.roles.find')}</label>
          <input id=${`${id}-find`} type="search" value=${find} autocomplete="off"
            onInput=${(event) => this.setState({ find: event.currentTarget.value })} />
        `}
        <ul class="role-choices">
          ${shown.map(
            (role) => html`
              <li key=${role.id}>
                <label class="check">
                  <input type="checkbox" id=${`${id}-${role.id}`} value=${role.id}
                    checked=${selected.includes(role.id)}
                    onChange=${(event) => this.toggle(role.id, event.currentTarget.checked)} />
                  ${role.name}
                </label>
              </li>
            `,
          )}
        </ul>
      `;
    }
    return html`
      <fieldset class="role-picker" id=${id}>
        <legend>${legend}</legend>
        ${body}
      </fieldset>
    `;
  }
}

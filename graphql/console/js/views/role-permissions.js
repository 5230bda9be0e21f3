// A role's permissions as a checklist: every permission the server knows,
// labelled in the reader's language, then any other string the role holds
// (the API keeps strings it does not check, e.g. for an embedding
// application), so that saving never drops them unseen.
import { has, t } from '../i18n.js';
import { html } from '../ui.js';

export function permissionLabel(permission) {
  const key = `roles.permission.${permission}`;
  return has(key) ? t(key) : permission;
}

/// The checklist's entries: the known permissions in the server's order,
/// then the others the role held when loaded, sorted.
export function checklistEntries(known, held) {
  const extra = held.filter((permission) => !known.includes(permission)).sort();
  return [...known.map((name) => ({ name, known: true })), ...extra.map((name) => ({ name, known: false }))];
}

/// Props: `entries`, `checked` (a Set), `onToggle(permission, checked)`,
/// `error` (a message for the whole list).
export function PermissionChecklist({ entries, checked, onToggle, error }) {
  return html`
    <fieldset class="permissions" aria-describedby=${error ? 'role-permissions-error' : undefined}>
      <legend>${t('roles.field.permissions')}</legend>
      <ul>
        ${entries.map(
          ({ name, known }, index) => html`
            <li key=${name}>
              <input type="checkbox" id=${`permission-${index}`} data-permission=${name}
                checked=${checked.has(name)}
                onChange=${(event) => onToggle(name, event.currentTarget.checked)} />
              <label for=${`permission-${index}`}>
                ${known ? permissionLabel(name) : t('roles.permission.unknown')}
                ${' '}<code>${name}</code>
              </label>
            </li>
          `,
        )}
      </ul>
      ${error && html`<p class="error" id="role-permissions-error" role="alert">${error}</p>`}
    </fieldset>
  `;
}

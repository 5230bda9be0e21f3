// The top of a user's page: avatar, name, id with a copy button, the
// suspended badge and the dates.
import { CopyButton } from '../../components/copy-button.js';
import { formatDateTime, t } from '../../i18n.js';
import { html } from '../../ui.js';
import { Avatar, displayName } from './avatar.js';

/// `title`: the page's heading when it is not the user's name (My account).
export function UserHeader({ user, title }) {
  const name = displayName(user);
  const none = html`<span class="none">${t('value.none')}</span>`;
  const facts = [
    ['user.field.username', user.username],
    ['user.field.primaryEmail', user.primaryEmail],
    ['user.field.primaryPhone', user.primaryPhone],
    ['user.created', formatDateTime(user.createdAt)],
    ['user.updated', formatDateTime(user.updatedAt)],
    ['user.lastSignIn', user.lastSignInAt ? formatDateTime(user.lastSignInAt) : t('users.never')],
  ];
  return html`
    ${title && html`<h1>${title}</h1>`}
    <div class="user-header">
      <${Avatar} user=${user} />
      <div>
        ${title ? html`<p class="user-name">${name}</p>` : html`<h1 class="user-name">${name}</h1>`}
        <p class="user-id">
          <span>${t('user.id')}</span>
          <code id="user-id">${user.id}</code>
          <${CopyButton} value=${user.id} label=${t('user.copyId')} target="user-id" />
          ${user.isSuspended && html`<span class="badge suspended" id="suspended-badge">${t('users.suspended')}</span>`}
        </p>
        <dl class="facts">
          ${facts.map(([label, value]) => html`<dt>${t(label)}</dt><dd>${value || none}</dd>`)}
        </dl>
      </div>
    </div>
  `;
}

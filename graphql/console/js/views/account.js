// The signed-in user's own account, as `me` returned it: what every user
// may see, whatever their permissions.
import { formatDateTime, t } from '../i18n.js';
import { html } from '../ui.js';

export function Account({ me }) {
  const rows = [
    ['account.username', me.username],
    ['account.name', me.name],
    ['account.email', me.primaryEmail],
    ['account.phone', me.primaryPhone],
    ['account.roles', me.roles.map((role) => role.name).join(', ')],
    ['account.created', formatDateTime(me.createdAt)],
    ['account.lastSignIn', formatDateTime(me.lastSignInAt)],
  ];
  return html`
    <section>
      <h1>${t('account.title')}</h1>
      <dl class="facts">
        ${rows.map(
          ([label, value]) => html`
            <dt>${t(label)}</dt>
            <dd>${value || html`<span class="none">${t('value.none')}</span>`}</dd>
          `,
        )}
        <dt>${t('account.id')}</dt>
        <dd><code>${me.id}</code></dd>
      </dl>
    </section>
  `;
}

// The frame around every signed-in page: a skip link, the header with the
// navigation the user's permissions allow, the language switch and sign-out.
import { t } from '../i18n.js';
import { href } from '../router.js';
import { html } from '../ui.js';
import { LanguageSwitch } from './language-switch.js';

export function Shell({ me, permissions, route, onSignOut, children }) {
  const links = [];
  if (permissions.has('users:read')) {
    links.push({ path: 'users', label: t('nav.users') });
  }
  if (permissions.has('roles:read')) {
    links.push({ path: 'roles', label: t('nav.roles') });
  }
  if (permissions.has('logs:read')) {
    links.push({ path: 'logs', label: t('nav.logs') });
  }
  links.push({ path: 'account', label: t('nav.account') });
  const who = me.name || me.username || me.primaryEmail || me.primaryPhone || me.id;
  return html`
    <a class="skip" href="#main">${t('nav.skip')}</a>
    <header class="shell">
      <span class="brand">usergraph</span>
      <nav aria-label=${t('nav.label')}>
        <ul>
          ${links.map(
            (link) => html`
              <li>
                <a href=${href(link.path)} aria-current=${route === link.path || route.startsWith(`${link.path}/`) ? 'page' : undefined}>
                  ${link.label}
                </a>
              </li>
            `,
          )}
        </ul>
      </nav>
      <div class="session">
        <${LanguageSwitch} />
        <span class="who" title=${t('nav.signedInAs', { name: who })}>${who}</span>
        <button type="button" id="sign-out" onClick=${onSignOut}>${t('nav.signOut')}</button>
      </div>
    </header>
    <main id="main" tabindex="-1">${children}</main>
  `;
}

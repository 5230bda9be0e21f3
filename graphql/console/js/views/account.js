// The signed-in user's own account: the user page for `me`, which every
// user may open whatever their permissions (the API lets a user read and
// edit its own profile, change its password knowing the current one,
// manage its tokens and read its logs).
import { t } from '../i18n.js';
import { html } from '../ui.js';
import { UserPage } from './user/page.js';

export function Account({ me, permissions, onSelfChanged }) {
  return html`<${UserPage} id=${me.id} me=${me} permissions=${permissions} title=${t('account.title')}
    onSelfChanged=${onSelfChanged} />`;
}

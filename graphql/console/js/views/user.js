// A user's page in the users section (`users/<id>`).
import { html } from '../ui.js';
import { UserPage } from './user/page.js';

/// The user id of a `users/<id>` route, else null.
export function userIdOf(path) {
  const found = /^users\/([^/]+)$/.exec(path);
  return found ? found[1] : null;
}

export function User({ id, me, permissions, onSelfChanged }) {
  return html`<${UserPage} id=${id} me=${me} permissions=${permissions} onSelfChanged=${onSelfChanged} />`;
}

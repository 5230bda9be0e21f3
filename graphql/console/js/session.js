// Who the console acts as. The token lives in sessionStorage only: it dies
// with the tab, and no cookie or localStorage ever holds it.
import { run, setToken } from './api.js';
import { read, write } from './storage.js';

const STORAGE_KEY = 'usergraph.console.session';

/// `kind` is 'session' (from signIn, ended by signOut) or 'token' (a
/// personal access token pasted in, which signing out only forgets).
function remember(session) {
  write('sessionStorage', STORAGE_KEY, session ? JSON.stringify(session) : null);
  setToken(session ? session.token : null);
}

/// The session kept by this tab, if any, now used for requests.
export function restore() {
  let session = null;
  try {
    session = JSON.parse(read('sessionStorage', STORAGE_KEY));
  } catch {
    session = null;
  }
  const valid = session && typeof session.token === 'string' && session.token !== '';
  remember(valid ? session : null);
  return valid ? session : null;
}

export async function signInWithPassword(identifier, password) {
  const data = await run('SignIn', { identifier, password });
  remember({ token: data.signIn.token, kind: 'session' });
}

export function signInWithToken(token) {
  remember({ token: token.trim(), kind: 'token' });
}

/// The signed-in user (`me`), which also proves the token works, and the
/// permissions this token carries (`myPermissions`: the roles' permissions
/// narrowed by a personal access token's scopes). The API checks every
/// operation itself; the console only hides what would be refused.
export async function loadMe() {
  return signedInFrom(await run('Me'));
}

/// `{ me, permissions }` from the data of the Me operation.
export function signedInFrom(data) {
  if (!data.me) {
    throw new Error('no user behind this token');
  }
  return { me: data.me, permissions: new Set(data.myPermissions) };
}

/// Ends a signIn session on the server, then forgets the token either way:
/// a session the server could not end still expires on its own.
export async function signOut() {
  const session = restore();
  try {
    if (session && session.kind === 'session') {
      await run('SignOut');
    }
  } finally {
    remember(null);
  }
}

export function forget() {
  remember(null);
}

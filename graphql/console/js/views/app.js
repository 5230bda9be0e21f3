// The console as a whole: signed out, it shows the sign-in form; signed in,
// the page for the current route, inside the shell (header, navigation).
import { runAll, setUnauthenticatedHandler } from '../api.js';
import { onLanguageChange, t } from '../i18n.js';
import { confirmLeaving, currentRoute, navigate, onRouteChange } from '../router.js';
import * as session from '../session.js';
import { Component, html } from '../ui.js';
import { variablesOf, viewFromParams } from '../users-view.js';
import { Account } from './account.js';
import { AuditLog } from './audit-log.js';
import { RolePage } from './role.js';
import { Roles } from './roles.js';
import { Shell } from './shell.js';
import { SignIn } from './sign-in.js';
import { UserCreate } from './user-create.js';
import { User, userIdOf } from './user.js';
import { Users } from './users.js';

export class App extends Component {
  constructor() {
    super();
    this.state = { status: 'loading', me: null, permissions: new Set(), notice: null };
    this.firstUsers = null;
  }

  componentDidMount() {
    this.unsubscribe = [
      onRouteChange(() => this.forceUpdate()),
      onLanguageChange(() => this.forceUpdate()),
    ];
    setUnauthenticatedHandler(() => {
      session.forget();
      this.setState({ status: 'signed-out', me: null, notice: 'signIn.expired' });
    });
    if (session.restore()) {
      this.enter();
    } else {
      this.setState({ status: 'signed-out' });
    }
  }

  componentDidUpdate() {
    // Home is the users list for those who may read it, else one's own account.
    if (this.state.status === 'ready' && currentRoute().path === '') {
      const home = this.state.permissions.has('users:read') ? 'users' : 'account';
      navigate(home, null, { replace: true });
    }
  }

  componentWillUnmount() {
    this.unsubscribe.forEach((unsubscribe) => unsubscribe());
  }

  /// Reads who the token acts as, then shows the console. Opened on the
  /// users list (or home, which leads there), the list's first page comes in
  /// the same request as `me`: a caller who may not read users just gets a
  /// FORBIDDEN for that part.
  async enter() {
    this.setState({ status: 'loading' });
    try {
      const route = currentRoute();
      let signedIn;
      if (route.path === '' || route.path === 'users') {
        const variables = variablesOf(viewFromParams(route.params));
        const [mine, users] = await runAll([['Me'], ['Users', variables]]);
        if (mine.error) {
          throw mine.error;
        }
        signedIn = session.signedInFrom(mine.data);
        this.firstUsers = { variables: JSON.stringify(variables), data: users.data, error: users.error };
      } else {
        signedIn = await session.loadMe();
      }
      this.setState({ status: 'ready', ...signedIn, notice: null });
    } catch {
      session.forget();
      this.setState({ status: 'signed-out', me: null, notice: 'signIn.refused' });
    }
  }

  /// Reads `me` again after the user changed its own account, so that the
  /// shell shows the new name.
  refreshMe = async () => {
    try {
      this.setState(await session.loadMe());
    } catch {
      // The page shows its own errors; the shell keeps the old name.
    }
  };

  signOut = async () => {
    // Unsaved changes on the page are worth a question first.
    if (!(await confirmLeaving())) {
      return;
    }
    this.setState({ status: 'loading' });
    try {
      await session.signOut();
      this.setState({ status: 'signed-out', me: null, notice: 'signIn.signedOut' });
    } catch {
      this.setState({ status: 'signed-out', me: null, notice: 'signIn.signedOutLocally' });
    }
  };

  /// The users page fetched with `me`, given to the list once: later
  /// visits load their own.
  takeFirstUsers() {
    const first = this.firstUsers;
    this.firstUsers = null;
    return first;
  }

  render(_, { status, me, permissions, notice }) {
    if (status === 'loading') {
      return html`<p class="loading" role="status">${t('app.loading')}</p>`;
    }
    if (status === 'signed-out') {
      return html`<${SignIn} notice=${notice} onSignedIn=${() => this.enter()} />`;
    }
    const route = currentRoute();
    return html`
      <${Shell} me=${me} permissions=${permissions} route=${route.path} onSignOut=${this.signOut}>
        ${this.page(route, me, permissions)}
      <//>
    `;
  }

  page(route, me, permissions) {
    const may = (permission) => permissions.has(permission);
    switch (route.path) {
      case '':
        return null;
      case 'users':
        return may('users:read')
          ? html`<${Users} params=${route.params} permissions=${permissions} initial=${this.takeFirstUsers()} />`
          : html`<${NotAllowed} />`;
      case 'logs':
        return may('logs:read')
          ? html`<${AuditLog} params=${route.params} permissions=${permissions} />`
          : html`<${NotAllowed} />`;
      case 'users/new':
        return may('users:write') ? html`<${UserCreate} permissions=${permissions} />` : html`<${NotAllowed} />`;
      case 'account':
        return html`<${Account} me=${me} permissions=${permissions} onSelfChanged=${this.refreshMe} />`;
      case 'roles':
        return may('roles:read')
          ? html`<${Roles} params=${route.params} permissions=${permissions} />`
          : html`<${NotAllowed} />`;
      default:
        break;
    }
    const role = /^roles\/([^/]+)$/.exec(route.path);
    if (role) {
      return may('roles:read')
        ? html`<${RolePage} id=${role[1]} params=${route.params} permissions=${permissions} />`
        : html`<${NotAllowed} />`;
    }
    return this.userPage(route, me, permissions) || html`<${NotFound} />`;
  }

  /// `users/<id>`: anyone may open their own; others' need `users:read`.
  userPage(route, me, permissions) {
    const id = userIdOf(route.path);
    if (!id) {
      return null;
    }
    if (id !== me.id && !permissions.has('users:read')) {
      return html`<${NotAllowed} />`;
    }
    return html`<${User} id=${id} me=${me} permissions=${permissions} onSelfChanged=${this.refreshMe} />`;
  }
}

function NotAllowed() {
  return html`<section><h1>${t('page.forbidden.title')}</h1><p>${t('page.forbidden.text')}</p></section>`;
}

function NotFound() {
  return html`<section><h1>${t('page.notFound.title')}</h1><p>${t('page.notFound.text')}</p></section>`;
}

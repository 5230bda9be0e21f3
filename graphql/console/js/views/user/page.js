// A user's page, shared by `users/<id>` and `account` (one's own): each
// part is its own component, shown as far as the caller's permissions
// allow. Unsaved edits hold the page: the browser asks before unloading
// it, and the console's own navigation asks with a dialog. Changes made
// elsewhere (another admin, the API, the user itself) show at once: the
// page follows the userChanged subscription, and reloads unless the
// reader has unsaved edits, which it then warns about.
import { run, runAll } from '../../api.js';
import { subscribe } from '../../live.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { errorMessage } from '../../errors.js';
import { t } from '../../i18n.js';
import { guardLeaving, navigate } from '../../router.js';
import { Component, html } from '../../ui.js';
import { abilitiesOf, grantableScopes } from './abilities.js';
import { CustomData } from './custom-data.js';
import { UserHeader } from './header.js';
import { Identities } from './identities.js';
import { Logs } from './logs.js';
import { Password } from './password.js';
import { ProfileForm } from './profile-form.js';
import { Roles } from './roles.js';
import { Status } from './status.js';
import { Tokens } from './tokens.js';

/// Props: `id`, `me`, `permissions`, `title` (for the account page),
/// `onSelfChanged` (the signed-in user changed: the shell shows its name).
export class UserPage extends Component {
  // `first`: the tokens and logs that came with the user in the page's
  // first request, for those parts to show without asking again.
  state = { user: null, first: null, error: null, version: 0, leaving: null, elsewhere: null };
  // The parts with unsaved changes.
  dirty = new Set();

  componentDidMount() {
    this.unguard = guardLeaving(this.guard);
    window.addEventListener('beforeunload', this.beforeUnload);
    this.loadFirst();
  }

  componentDidUpdate(previous) {
    if (previous.id !== this.props.id) {
      this.dirty.clear();
      this.endLive();
      this.setState({ user: null, first: null, error: null, elsewhere: null });
      this.loadFirst();
    }
  }

  componentWillUnmount() {
    this.unguard();
    window.removeEventListener('beforeunload', this.beforeUnload);
    this.loading = null;
    this.endLive();
  }

  endLive() {
    if (this.stopLive) {
      this.stopLive();
      this.stopLive = null;
    }
  }

  /// Follows the user's changes from `cursor` (the newest entry about it
  /// when the page loaded, so that none made since is missed).
  follow(cursor) {
    this.endLive();
    let last = cursor;
    this.stopLive = subscribe('UserLive', { id: this.props.id, after: cursor }, {
      onData: (data) => {
        last = data.userChanged.log.cursor;
        if (data.userChanged.kind === 'DELETED') {
          this.setState({ elsewhere: 'deleted' });
        } else if (this.dirty.size > 0) {
          this.setState({ elsewhere: 'changed' });
        } else {
          this.changed();
        }
      },
      onError: (error) => {
        this.stopLive = null;
        // Behind the server's buffer: carry on; anything else (a network
        // failure, the session ended) leaves the page as it is.
        if (error.code === 'LAGGED') {
          this.follow(error.lastCursor || last);
        }
      },
    });
  }

  beforeUnload = (event) => {
    if (this.dirty.size > 0) {
      event.preventDefault();
      // Older browsers ask only when a return value is set.
      event.returnValue = '';
    }
  };

  guard = () => {
    if (this.dirty.size === 0) {
      return true;
    }
    return new Promise((resolve) => this.setState({ leaving: resolve }));
  };

  answerLeaving(leave) {
    const resolve = this.state.leaving;
    if (leave) {
      this.dirty.clear();
    }
    this.setState({ leaving: null });
    resolve(leave);
  }

  setDirty(part, dirty) {
    if (dirty) {
      this.dirty.add(part);
    } else {
      this.dirty.delete(part);
    }
  }

  /// The page's first screen in one request: the user, and its tokens and
  /// logs when the caller may read them (each part fails on its own).
  async loadFirst() {
    const { id, me, permissions } = this.props;
    const abilities = abilitiesOf(permissions, id === me.id);
    const operations = [['User', { id }]];
    if (abilities.readTokens) {
      operations.push(['UserTokens', { id }]);
    }
    if (abilities.readLogs) {
      operations.push(['UserLogs', { id, after: null }]);
    }
    let answers;
    try {
      answers = await this.latest(runAll(operations));
    } catch (error) {
      this.show({ data: null, error });
      return;
    }
    const [user, ...rest] = answers;
    const first = {};
    if (abilities.readTokens) {
      first.tokens = rest.shift();
    }
    if (abilities.readLogs) {
      first.logs = rest.shift();
    }
    this.show(user, first);
    if (user.data && user.data.user) {
      const logs = first.logs && first.logs.data && first.logs.data.user;
      const newest = logs && logs.logs.nodes.length > 0 ? logs.logs.pageInfo.startCursor : null;
      this.follow(newest);
    }
  }

  /// Loads the user again. Resolves once its answer is in, shown or not:
  /// a part waiting for its change to show (its buttons disabled) must not
  /// wait for good because a newer load (a change made elsewhere) began.
  async load() {
    const request = run('User', { id: this.props.id });
    this.loading = request;
    let answer;
    try {
      answer = { data: await request, error: null };
    } catch (error) {
      answer = { data: null, error };
    }
    if (this.loading === request) {
      this.show(answer);
    }
  }

  /// Resolves as `request` does, or never when a later request or leaving
  /// the page made its answer stale.
  async latest(request) {
    this.loading = request;
    const answer = await request;
    return this.loading === request ? answer : new Promise(() => {});
  }

  show({ data, error }, first = this.state.first) {
    if (error) {
      this.setState({ error: errorMessage(error) });
    } else {
      this.setState({ user: data.user, first, error: data.user ? null : 'notFound' });
    }
  }

  /// After any change: the user as now stored, the logs from the top.
  changed = async () => {
    this.setState({ elsewhere: null });
    await this.load();
    this.setState(({ version }) => ({ version: version + 1 }));
    if (this.props.onSelfChanged && this.props.id === this.props.me.id) {
      this.props.onSelfChanged();
    }
  };

  deleted = () => {
    this.dirty.clear();
    navigate('users');
  };

  render({ me, permissions, title }, { user, first, error, version, leaving, elsewhere }) {
    if (error === 'notFound') {
      return html`<section><h1>${t('user.notFound.title')}</h1><p>${t('user.notFound.text')}</p></section>`;
    }
    if (error && !user) {
      return html`<section>${title && html`<h1>${title}</h1>`}<p class="error" role="alert">${error}</p></section>`;
    }
    if (!user) {
      return html`<p class="loading" role="status">${t('app.loading')}</p>`;
    }
    const self = user.id === me.id;
    const abilities = abilitiesOf(permissions, self);
    const common = { user, abilities, onChanged: this.changed };
    return html`
      <article class="user-page" key=${user.id}>
        <${UserHeader} user=${user} title=${title} />
        ${error && html`<p class="error" role="alert">${error}</p>`}
        ${elsewhere && html`<p class="error" id="changed-elsewhere" role="alert">${t(`user.elsewhere.${elsewhere}`)}</p>`}
        <div class="user-columns">
          <div>
            <${ProfileForm} ...${common} onSaved=${this.changed} onDirty=${(dirty) => this.setDirty('profile', dirty)} />
            <${CustomData} ...${common} onSaved=${this.changed} onDirty=${(dirty) => this.setDirty('customData', dirty)} />
          </div>
          <div>
            <${Status} ...${common} onDeleted=${this.deleted} />
            <${Password} ...${common} />
            <${Roles} ...${common} />
            <${Identities} ...${common} />
          </div>
        </div>
        ${abilities.readTokens && html`<${Tokens} ...${common} scopes=${grantableScopes(user, permissions)} first=${first.tokens} />`}
        ${abilities.readLogs && html`<${Logs} user=${user} version=${version} first=${first.logs} />`}
        <${ConfirmDialog}
          id="leave-dialog"
          open=${leaving !== null}
          title=${t('user.leave.title')}
          text=${t('user.leave.text')}
          confirmLabel=${t('user.leave.confirm')}
          danger=${true}
          onConfirm=${() => this.answerLeaving(true)}
          onCancel=${() => this.answerLeaving(false)}
        />
      </article>
    `;
  }
}

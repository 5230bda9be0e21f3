// The audit log: every entry newest first, filtered by key, result, user,
// actor and time range, paged by the API's cursors; all of it in the URL.
// Each entry opens as its raw JSON. On the newest page, "Live" adds each
// new entry at the top as it is committed (the logAdded subscription,
// from the newest entry shown, so none is missed in between).
import { run } from '../api.js';
import { subscribe } from '../live.js';
import {
  displayName,
  newerPage,
  olderPage,
  paramsFromView,
  RANGES,
  RESULTS,
  variablesOf,
  viewFromParams,
  withFilter,
} from '../audit-view.js';
import { EntryDialog } from '../components/entry-dialog.js';
import { UserPicker } from '../components/user-picker.js';
import { errorMessage } from '../errors.js';
import { formatDateTime, t } from '../i18n.js';
import { href, navigate } from '../router.js';
import { html } from '../ui.js';
import { UrlPage } from './url-page.js';

/// The keys usergraph and its webhook plugin write (README, "Audit log"),
/// offered as suggestions; any key may be typed, a plugin's own too.
const KNOWN_KEYS = [
  'User.Created',
  'User.Updated',
  'User.Profile.Updated',
  'User.CustomData.Updated',
  'User.Deleted',
  'User.Password.Set',
  'User.Password.Verified',
  'User.Password.Changed',
  'User.SignIn',
  'User.SignOut',
  'User.Suspended',
  'User.Unsuspended',
  'User.Identity.Linked',
  'User.Identity.Unlinked',
  'User.Roles.Assigned',
  'User.Roles.Removed',
  'User.Imported',
  'Role.Created',
  'Role.Updated',
  'Role.Deleted',
  'Token.Created',
  'Token.Renamed',
  'Token.Revoked',
  'Token.Rejected',
  'Webhook.Delivered',
  'Webhook.Failed',
];

/// Entries kept on the live page; older ones are on the next pages.
const LIVE_KEEP = 500;

/// Props: `params` (the URL's), `permissions`.
export class AuditLog extends UrlPage {
  constructor(props) {
    super(props);
    this.state = { page: null, error: null, loading: true, detail: null, live: false, liveError: null };
    this.asof = null;
    this.stopLive = null;
    this.variables = null;
  }

  componentWillUnmount() {
    super.componentWillUnmount();
    this.endLive();
  }

  endLive() {
    if (this.stopLive) {
      this.stopLive();
      this.stopLive = null;
    }
  }

  /// Subscribes to the entries after `cursor` (null: from now on) with the
  /// filter of the page shown.
  startLive(cursor) {
    this.endLive();
    const variables = { filter: this.variables.filter, after: cursor };
    let last = cursor;
    this.stopLive = subscribe('AuditLive', variables, {
      onData: (data) => {
        last = data.logAdded.cursor;
        this.setState(({ page }) => ({
          page: page && { ...page, nodes: [data.logAdded.node, ...page.nodes].slice(0, LIVE_KEEP) },
        }));
      },
      onError: (error) => {
        this.stopLive = null;
        if (error.code === 'LAGGED') {
          // Behind the server's buffer: carry on from the last entry shown.
          this.startLive(error.lastCursor || last);
          return;
        }
        this.setState({ live: false, liveError: error });
      },
    });
  }

  toggleLive(on) {
    if (on) {
      const page = this.state.page;
      this.setState({ live: true, liveError: null });
      this.startLive(page && page.nodes.length > 0 ? page.pageInfo.startCursor : null);
    } else {
      this.endLive();
      this.setState({ live: false });
    }
  }

  view() {
    return viewFromParams(this.props.params);
  }

  show(view) {
    navigate('logs', paramsFromView(view));
  }

  filter(changes) {
    this.show(withFilter(this.view(), changes));
  }

  load() {
    // Another filter or page: what is live no longer belongs here.
    this.endLive();
    this.setState({ live: false, liveError: null });
    const { variables, asof } = variablesOf(this.view(), Date.now());
    this.variables = variables;
    return this.fetchLatest(
      () => run('AuditLog', variables),
      (data) => {
        this.asof = asof;
        this.setState({ page: data.logs, loading: false });
      },
      (error) => this.setState({ page: null, error, loading: false }),
    );
  }

  render({ permissions }, { page, error, loading, detail, live, liveError }) {
    const view = this.view();
    const canReadUsers = permissions.has('users:read');
    const pageInfo = page ? page.pageInfo : null;
    return html`
      <section class="audit">
        <h1>${t('audit.title')}</h1>
        <form class="audit-filters" aria-label=${t('audit.filters')} onSubmit=${(e) => e.preventDefault()}>
          <div>
            <label for="audit-key">${t('audit.key')}</label>
            <input id="audit-key" type="text" list="audit-keys" autocomplete="off" maxlength="128"
              value=${view.key} placeholder="User.Created"
              onChange=${(e) => this.filter({ key: e.currentTarget.value.trim() })} />
            <datalist id="audit-keys">${KNOWN_KEYS.map((key) => html`<option value=${key} />`)}</datalist>
          </div>
          <div>
            <label for="audit-result">${t('audit.result')}</label>
            <select id="audit-result" value=${view.result}
              onChange=${(e) => this.filter({ result: e.currentTarget.value })}>
              <option value="">${t('audit.result.any')}</option>
              ${RESULTS.map((result) => html`<option value=${result}>${t(`audit.result.${result}`)}</option>`)}
            </select>
          </div>
          <${UserPicker} id="audit-user" label=${t('audit.user')} value=${view.user}
            canSearch=${canReadUsers} onChange=${(user) => this.filter({ user })} />
          <${UserPicker} id="audit-actor" label=${t('audit.actor')} value=${view.actor}
            canSearch=${canReadUsers} onChange=${(actor) => this.filter({ actor })} />
          <div>
            <label for="audit-range">${t('audit.range')}</label>
            <select id="audit-range" value=${view.range}
              onChange=${(e) => this.filter({ range: e.currentTarget.value })}>
              ${RANGES.map((range) => html`<option value=${range}>${t(`audit.range.${range || 'all'}`)}</option>`)}
            </select>
          </div>
          ${view.range === 'custom' &&
          html`
            <div>
              <label for="audit-from">${t('audit.from')}</label>
              <input id="audit-from" type="datetime-local" value=${view.from}
                onChange=${(e) => this.filter({ from: e.currentTarget.value })} />
            </div>
            <div>
              <label for="audit-to">${t('audit.to')}</label>
              <input id="audit-to" type="datetime-local" value=${view.to}
                onChange=${(e) => this.filter({ to: e.currentTarget.value })} />
            </div>
          `}
        </form>
        <p class="summary" role="status" aria-live="polite">
          ${loading ? t('app.loading') : page ? summary(page) : ''}
        </p>
        <label class="live-switch">
          <input type="checkbox" id="audit-live" checked=${live}
            disabled=${!page || Boolean(view.after)}
            onChange=${(e) => this.toggleLive(e.currentTarget.checked)} />
          ${t('audit.live')}
        </label>
        ${liveError && html`<p class="error" id="audit-live-error" role="alert">${t('audit.live.ended', { message: errorMessage(liveError, 'audit') })}</p>`}
        ${error && html`<p class="error" id="audit-error" role="alert">${errorMessage(error, 'audit')}</p>`}
        <div class="table-wrap">
          <table id="audit-log" aria-busy=${loading ? 'true' : 'false'}>
            <caption class="visually-hidden">${t('audit.title')}</caption>
            <thead>
              <tr>
                <th scope="col">${t('audit.column.time')}</th>
                <th scope="col">${t('audit.column.key')}</th>
                <th scope="col">${t('audit.column.result')}</th>
                <th scope="col">${t('audit.column.user')}</th>
                <th scope="col">${t('audit.column.actor')}</th>
                <th scope="col"><span class="visually-hidden">${t('audit.column.detail')}</span></th>
              </tr>
            </thead>
            <tbody>
              ${page && page.nodes.map((entry) => this.row(entry, canReadUsers))}
            </tbody>
          </table>
        </div>
        <nav class="pager" aria-label=${t('audit.pages')}>
          <button type="button" id="newest-page" disabled=${!view.after}
            onClick=${() => this.show({ ...view, after: null, newer: [] })}>${t('audit.newest')}</button>
          <button type="button" id="newer-page" disabled=${!view.after}
            onClick=${() => this.show(newerPage(view))}>${t('audit.newer')}</button>
          <button type="button" id="older-page" disabled=${!pageInfo || !pageInfo.hasNextPage}
            onClick=${() => this.show(olderPage(view, pageInfo.endCursor, this.asof))}>${t('audit.older')}</button>
        </nav>
        <${EntryDialog} entry=${detail} onClose=${() => this.setState({ detail: null })} />
      </section>
    `;
  }

  row(entry, canReadUsers) {
    const { user, actor, ...raw } = entry;
    const time = formatDateTime(entry.createdAt, { timeStyle: 'medium' });
    return html`
      <tr key=${entry.id} data-id=${entry.id} data-key=${entry.key}>
        <td><time datetime=${entry.createdAt}>${time}</time></td>
        <td class="key">${entry.key}</td>
        <td>
          <span class=${`badge ${entry.result === 'ERROR' ? 'error' : 'ok'}`}>${t(`audit.result.${entry.result}`)}</span>
        </td>
        <td class="user">${person(entry.userId, user, canReadUsers)}</td>
        <td class="actor">${person(entry.actorId, actor, canReadUsers)}</td>
        <td>
          <button type="button" class="secondary detail"
            aria-label=${t('audit.detail.open', { key: entry.key, time })}
            onClick=${() => this.setState({ detail: raw })}>${t('audit.detail.button')}</button>
        </td>
      </tr>
    `;
  }
}

function summary(page) {
  if (page.nodes.length === 0) {
    return t('audit.none');
  }
  return t('audit.shown', { count: page.nodes.length });
}

/// A user of an entry: by name with a link when the API returned it; a
/// deleted one by id (only a reader of users can tell it was deleted, since
/// the API hides other users from everyone else).
function person(id, user, canReadUsers) {
  if (!id) {
    return html`<span class="none">${t('value.none')}</span>`;
  }
  if (user) {
    return html`<a href=${href(`users/${encodeURIComponent(id)}`)}>${displayName(user)}</a>`;
  }
  if (canReadUsers) {
    return html`<code>${id}</code> <span class="badge deleted">${t('audit.deletedUser')}</span>`;
  }
  return html`<code>${id}</code>`;
}

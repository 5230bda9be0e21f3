// This user's log entries, newest first; "Older" adds the next page. The
// list starts over whenever the page changes something (`version`), so
// what was just done shows at the top.
import { run } from '../../api.js';
import { errorMessage } from '../../errors.js';
import { formatDateTime, t } from '../../i18n.js';
import { Component, html } from '../../ui.js';

/// Props: `user`, `version` (bumped after each change made on the page),
/// `first` (the first page's `UserLogs` answer `{ data, error }` that came
/// with the page, if any).
export class Logs extends Component {
  state = { entries: [], pageInfo: null, loading: true, error: null };
  request = 0;

  componentDidMount() {
    if (this.props.first) {
      this.show(this.props.first, null);
    } else {
      this.load(null);
    }
  }

  componentDidUpdate(previous) {
    if (previous.version !== this.props.version) {
      this.load(null);
    }
  }

  componentWillUnmount() {
    this.request += 1;
  }

  async load(after) {
    const request = ++this.request;
    this.setState({ loading: true, error: null });
    let answer;
    try {
      answer = { data: await run('UserLogs', { id: this.props.user.id, after }), error: null };
    } catch (error) {
      answer = { data: null, error };
    }
    if (request === this.request) {
      this.show(answer, after);
    }
  }

  /// Shows a page of entries, after those shown when `after` is a cursor.
  show({ data, error }, after) {
    if (error) {
      this.setState({ loading: false, error: errorMessage(error) });
      return;
    }
    const page = data.user.logs;
    this.setState(({ entries }) => ({
      entries: after ? [...entries, ...page.nodes] : page.nodes,
      pageInfo: page.pageInfo,
      loading: false,
      error: null,
    }));
  }

  render(_, { entries, pageInfo, loading, error }) {
    return html`
      <section class="panel" aria-labelledby="logs-title">
        <h2 id="logs-title">${t('user.logs.title')}</h2>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        ${!loading && entries.length === 0 && !error && html`<p class="none">${t('user.logs.none')}</p>`}
        ${entries.length > 0 && html`
          <div class="table-wrap">
            <table id="user-logs" aria-busy=${loading ? 'true' : 'false'}>
              <thead>
                <tr>
                  <th scope="col">${t('user.logs.time')}</th>
                  <th scope="col">${t('user.logs.key')}</th>
                  <th scope="col">${t('user.logs.result')}</th>
                  <th scope="col">${t('user.logs.ip')}</th>
                </tr>
              </thead>
              <tbody>
                ${entries.map((entry) => html`
                  <tr key=${entry.id} data-key=${entry.key}>
                    <td>${formatDateTime(entry.createdAt)}</td>
                    <td><code>${entry.key}</code></td>
                    <td class=${entry.result === 'ERROR' ? 'failed' : ''} title=${entry.error || undefined}>
                      ${t(`user.logs.${entry.result === 'ERROR' ? 'error' : 'success'}`)}
                    </td>
                    <td>${entry.ip || html`<span class="none">${t('value.none')}</span>`}</td>
                  </tr>
                `)}
              </tbody>
            </table>
          </div>
        `}
        ${pageInfo && pageInfo.hasNextPage && html`
          <div class="actions start">
            <button type="button" id="older-logs" disabled=${loading} onClick=${() => this.load(pageInfo.endCursor)}>
              ${t('user.logs.older')}
            </button>
          </div>
        `}
      </section>
    `;
  }
}

// The users holding a role, newest first, with keyset paging (the page's
// cursor in the URL) and, for callers with `users:write`, "remove from
// role" behind a confirmation. A refusal (the user outranks the caller,
// the last admin) is shown on that user's row.
import { run } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Pager } from '../components/pager.js';
import { errorMessage } from '../errors.js';
import { t } from '../i18n.js';
import { href, navigate } from '../router.js';
import { html } from '../ui.js';
import { UrlPage } from './url-page.js';

const PAGE_SIZE = 20;

function displayName(user) {
  return user.username || user.name || user.primaryEmail || user.id;
}

/// Props: `role` ({ id, name }), `params` (`after` / `before`: the page's
/// cursor), `canRemove`.
export class RoleHolders extends UrlPage {
  constructor(props) {
    super(props);
    this.state = { page: null, loading: true, error: null, rowErrors: {}, confirm: null };
  }

  changed(previous) {
    return super.changed(previous) || previous.role.id !== this.props.role.id;
  }

  cursor() {
    const after = this.props.params.get('after');
    return after ? { after } : { before: this.props.params.get('before') || null };
  }

  load() {
    const { after, before } = this.cursor();
    const variables = before ? { last: PAGE_SIZE, before } : { first: PAGE_SIZE, after: after || null };
    return this.fetchLatest(
      () => run('RoleHolders', { id: this.props.role.id, ...variables }),
      (data) => this.setState({ page: data.role ? data.role.users : null, loading: false, rowErrors: {} }),
    );
  }

  go(cursor) {
    const params = new URLSearchParams();
    Object.entries(cursor).forEach(([key, value]) => params.set(key, value));
    navigate(`roles/${encodeURIComponent(this.props.role.id)}`, params);
  }

  confirmRemove = async () => {
    const { user } = this.state.confirm;
    this.setState({ confirm: { user, busy: true } });
    try {
      await run('RemoveUserRole', { userId: user.id, roleId: this.props.role.id });
      this.setState({ confirm: null });
      this.load();
    } catch (error) {
      this.setState(({ rowErrors }) => ({
        confirm: null,
        rowErrors: { ...rowErrors, [user.id]: errorMessage(error, 'roles') },
      }));
    }
  };

  render({ role, canRemove }, { page, loading, error, rowErrors, confirm }) {
    const { after, before } = this.cursor();
    const pageInfo = page ? page.pageInfo : null;
    return html`
      <section class="holders" aria-labelledby="holders-title">
        <h2 id="holders-title">${t('roles.holders.title')}</h2>
        <p class="summary" role="status" aria-live="polite">
          ${loading ? t('app.loading') : page ? summary(page) : ''}
        </p>
        ${error && html`<p class="error" role="alert">${errorMessage(error, 'roles')}</p>`}
        <div class="table-wrap">
          <table id="holders" aria-busy=${loading ? 'true' : 'false'}>
            <caption class="visually-hidden">${t('roles.holders.title')}</caption>
            <thead>
              <tr>
                <th scope="col">${t('users.column.username')}</th>
                <th scope="col">${t('users.column.name')}</th>
                <th scope="col">${t('users.column.email')}</th>
                ${canRemove && html`<th scope="col"><span class="visually-hidden">${t('roles.holders.actions')}</span></th>`}
              </tr>
            </thead>
            <tbody>
              ${page && page.nodes.map((user) => this.row(user, canRemove, rowErrors[user.id]))}
            </tbody>
          </table>
        </div>
        <${Pager} label=${t('roles.holders.pages')} prefix="holders-" onFirstPage=${!after && !before}
          hasPrevious=${pageInfo && pageInfo.hasPreviousPage} hasNext=${pageInfo && pageInfo.hasNextPage}
          onFirst=${() => this.go({})}
          onPrevious=${() => this.go({ before: pageInfo.startCursor })}
          onNext=${() => this.go({ after: pageInfo.endCursor })} />
        <${ConfirmDialog} id="remove-holder" open=${Boolean(confirm)} title=${t('roles.holders.removeTitle')}
          text=${confirm ? t('roles.holders.removeText', { user: displayName(confirm.user), role: role.name }) : ''}
          confirmLabel=${t('roles.holders.remove')} danger=${true} busy=${Boolean(confirm && confirm.busy)}
          onConfirm=${this.confirmRemove} onCancel=${() => this.setState({ confirm: null })} />
      </section>
    `;
  }

  row(user, canRemove, rowError) {
    const none = html`<span class="none">${t('value.none')}</span>`;
    const errorId = `holder-error-${user.id}`;
    return html`
      <tr key=${user.id} data-id=${user.id}>
        <td><a href=${href(`users/${encodeURIComponent(user.id)}`)}>${user.username || user.id}</a></td>
        <td>${user.name || none}</td>
        <td>${user.primaryEmail || none}</td>
        ${canRemove &&
        html`<td class="row-actions">
          <button type="button" class="secondary remove-holder"
            aria-label=${t('roles.holders.removeUser', { user: displayName(user) })}
            aria-describedby=${rowError ? errorId : undefined}
            onClick=${() => this.setState({ confirm: { user, busy: false } })}>
            ${t('roles.holders.remove')}
          </button>
          ${rowError && html`<p class="error row-error" id=${errorId} role="alert">${rowError}</p>`}
        </td>`}
      </tr>
    `;
  }
}

function summary(page) {
  if (page.nodes.length === 0) {
    return t('roles.holders.none');
  }
  return t('roles.holders.shown', { count: page.nodes.length });
}

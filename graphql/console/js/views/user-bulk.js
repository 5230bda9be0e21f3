// Bulk actions on the users selected in the list. The API has no bulk
// mutations: each user gets its own, a few at a time, and a refusal for one
// user (one who outranks the caller, the last admin) is reported by name
// while the others go on.
import { run } from '../api.js';
import { eachBounded } from '../bounded.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { errorMessage } from '../errors.js';
import { t } from '../i18n.js';
import { Component, html } from '../ui.js';

/// Mutations in flight at once.
const CONCURRENCY = 4;

const ACTIONS = {
  suspend: { needs: ['users:write'], task: (user) => run('SetUserSuspended', { id: user.id, suspended: true }) },
  reactivate: { needs: ['users:write'], task: (user) => run('SetUserSuspended', { id: user.id, suspended: false }) },
  assign: {
    needs: ['users:write', 'roles:read'],
    role: true,
    task: (user, roleId) => run('AssignUserRoles', { userId: user.id, roleIds: [roleId] }),
  },
  remove: {
    needs: ['users:write', 'roles:read'],
    role: true,
    task: (user, roleId) => run('RemoveUserRole', { userId: user.id, roleId }),
  },
  delete: { needs: ['users:delete'], danger: true, task: (user) => run('DeleteUser', { id: user.id }) },
};

/// The bulk actions `permissions` allow.
export function allowedActions(permissions) {
  return Object.keys(ACTIONS).filter((name) => ACTIONS[name].needs.every((p) => permissions.has(p)));
}

/// How a user is named in a report.
export function nameOf(user) {
  return user.username || user.primaryEmail || user.primaryPhone || user.id;
}

/// Props: `users` (the selected ones), `permissions`, `roles`, `rolesError`,
/// `onNeedRoles()`, `onFinished(report)`.
export class UserBulk extends Component {
  state = { action: null, roleId: '', busy: false };

  componentDidMount() {
    if (allowedActions(this.props.permissions).some((name) => ACTIONS[name].role)) {
      this.props.onNeedRoles();
    }
  }

  roleName() {
    const role = (this.props.roles || []).find((one) => one.id === this.state.roleId);
    return role ? role.name : this.state.roleId;
  }

  confirm = async () => {
    const { users, onFinished } = this.props;
    const { action, roleId } = this.state;
    this.setState({ busy: true });
    const failures = await eachBounded(users, CONCURRENCY, (user) => ACTIONS[action].task(user, roleId));
    this.setState({ busy: false, action: null });
    onFinished({
      action,
      role: ACTIONS[action].role ? this.roleName() : null,
      count: users.length,
      failures: failures.map(({ item, error }) => ({
        name: nameOf(item),
        message: errorMessage(error, 'userBulk'),
      })),
    });
  };

  render({ users, permissions, roles }, { action, roleId, busy }) {
    const allowed = allowedActions(permissions);
    const count = users.length;
    const withRole = allowed.filter((name) => ACTIONS[name].role);
    const params = { count, role: this.roleName() };
    return html`
      <div class="bulk" role="group" aria-labelledby="bulk-count">
        <span id="bulk-count" class="bulk-count">${t('users.bulk.selected', { count })}</span>
        ${allowed
          .filter((name) => !ACTIONS[name].role)
          .map(
            (name) => html`
              <button type="button" id=${`bulk-${name}`} class=${ACTIONS[name].danger ? 'danger' : ''}
                onClick=${() => this.setState({ action: name })}>${t(`users.bulk.${name}`)}</button>
            `,
          )}
        ${withRole.length > 0 &&
        html`
          <span class="bulk-role">
            <label for="bulk-role">${t('users.bulk.role')}</label>
            <select id="bulk-role" value=${roleId} onChange=${(e) => this.setState({ roleId: e.currentTarget.value })}>
              <option value="">${t('users.bulk.chooseRole')}</option>
              ${(roles || []).map((role) => html`<option value=${role.id}>${role.name}</option>`)}
            </select>
            ${withRole.map(
              (name) => html`
                <button type="button" id=${`bulk-${name}`} disabled=${!roleId}
                  onClick=${() => this.setState({ action: name })}>${t(`users.bulk.${name}`)}</button>
              `,
            )}
          </span>
        `}
      </div>
      <${ConfirmDialog}
        open=${action !== null}
        title=${action ? t(`users.bulk.${action}.title`, params) : ''}
        text=${action ? t(`users.bulk.${action}.text`, params) : ''}
        confirmLabel=${action ? t(`users.bulk.${action}`) : ''}
        danger=${action ? Boolean(ACTIONS[action].danger) : false}
        busy=${busy}
        onConfirm=${this.confirm}
        onCancel=${() => this.setState({ action: null })}
      />
    `;
  }
}

/// What the last bulk action did: how many succeeded, and each failure
/// with the user's name and the API's reason.
/// It takes the focus, which the closed confirmation gave back to the page.
export function BulkReport({ report, onDismiss }) {
  const done = report.count - report.failures.length;
  const summary = t(`users.bulk.${report.action}.done`, { count: report.count, done, role: report.role });
  return html`
    <div id="bulk-report" class=${report.failures.length ? 'error bulk-report' : 'notice bulk-report'}
      role=${report.failures.length ? 'alert' : 'status'} tabindex="-1" ref=${focusOnce}>
      <p>${summary}</p>
      ${report.failures.length > 0 &&
      html`
        <p>${t('users.bulk.failures')}</p>
        <ul class="failures">
          ${report.failures.map((failure) => html`<li><strong>${failure.name}</strong>: ${failure.message}</li>`)}
        </ul>
      `}
      <button type="button" class="secondary" id="bulk-report-dismiss" onClick=${onDismiss}>${t('users.bulk.dismiss')}</button>
    </div>
  `;
}

function focusOnce(element) {
  if (element && element !== document.activeElement && !element.dataset.focused) {
    element.dataset.focused = 'true';
    element.focus();
  }
}

// Suspend or reactivate the user, or delete it; each asks first.
import { run } from '../../api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { errorMessage } from '../../errors.js';
import { t } from '../../i18n.js';
import { Component, html } from '../../ui.js';
import { displayName } from './avatar.js';

/// Props: `user`, `abilities`, `onChanged`, `onDeleted`.
export class Status extends Component {
  // `asking`: 'suspend', 'reactivate' or 'delete' while its dialog is open.
  state = { asking: null, busy: false, error: null };

  confirm = async () => {
    const { user } = this.props;
    const { asking } = this.state;
    this.setState({ busy: true, error: null });
    try {
      if (asking === 'delete') {
        await run('DeleteUser', { id: user.id });
        this.setState({ asking: null, busy: false });
        this.props.onDeleted();
        return;
      }
      await run('SetUserSuspended', { id: user.id, suspended: asking === 'suspend' });
      await this.props.onChanged();
      this.setState({ asking: null, busy: false });
    } catch (error) {
      this.setState({ busy: false, error: errorMessage(error) });
    }
  };

  render({ user, abilities }, { asking, busy, error }) {
    if (!abilities.suspend && !abilities.delete) {
      return null;
    }
    const name = displayName(user);
    const ask = (what) => () => this.setState({ asking: what, error: null });
    return html`
      <section class="panel" aria-labelledby="status-title">
        <h2 id="status-title">${t('user.status.title')}</h2>
        <div class="actions start">
          ${abilities.suspend && (user.isSuspended
            ? html`<button type="button" id="reactivate" onClick=${ask('reactivate')}>${t('user.reactivate.action')}</button>`
            : html`<button type="button" id="suspend" onClick=${ask('suspend')}>${t('user.suspend.action')}</button>`)}
          ${abilities.delete && html`<button type="button" id="delete-user" class="danger" onClick=${ask('delete')}>${t('user.delete.action')}</button>`}
        </div>
        <${ConfirmDialog}
          id="status-dialog"
          open=${asking !== null}
          title=${asking ? t(`user.${asking}.title`) : ''}
          text=${asking ? t(`user.${asking}.text`, { name }) : ''}
          confirmLabel=${asking ? t(`user.${asking}.action`) : ''}
          danger=${asking !== 'reactivate'}
          busy=${busy}
          error=${error}
          onConfirm=${this.confirm}
          onCancel=${() => this.setState({ asking: null, error: null })}
        />
      </section>
    `;
  }
}

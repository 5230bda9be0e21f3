// The social identities linked to the user, each with Unlink (confirmed).
import { run } from '../../api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { errorMessage } from '../../errors.js';
import { formatDateTime, t } from '../../i18n.js';
import { Component, html } from '../../ui.js';

/// Props: `user`, `abilities`, `onChanged`.
export class Identities extends Component {
  state = { unlinking: null, busy: false, error: null };

  unlink = async () => {
    this.setState({ busy: true, error: null });
    try {
      await run('UnlinkUserIdentity', { id: this.props.user.id, provider: this.state.unlinking });
      await this.props.onChanged();
      this.setState({ unlinking: null, busy: false });
    } catch (error) {
      this.setState({ busy: false, error: errorMessage(error) });
    }
  };

  render({ user, abilities }, { unlinking, busy, error }) {
    return html`
      <section class="panel" aria-labelledby="identities-title">
        <h2 id="identities-title">${t('user.identities.title')}</h2>
        ${user.identities.length === 0
          ? html`<p class="none" id="no-identities">${t('user.identities.none')}</p>`
          : html`
            <table id="identities">
              <thead>
                <tr>
                  <th scope="col">${t('user.identities.provider')}</th>
                  <th scope="col">${t('user.identities.userId')}</th>
                  <th scope="col">${t('user.identities.linked')}</th>
                  ${abilities.unlinkIdentity && html`<th scope="col"><span class="visually-hidden">${t('user.actions')}</span></th>`}
                </tr>
              </thead>
              <tbody>
                ${user.identities.map((identity) => html`
                  <tr key=${identity.provider} data-provider=${identity.provider}>
                    <td>${identity.provider}</td>
                    <td><code>${identity.userId}</code></td>
                    <td>${formatDateTime(identity.linkedAt)}</td>
                    ${abilities.unlinkIdentity && html`
                      <td>
                        <button type="button" class="unlink small"
                          aria-label=${t('user.identities.unlinkOne', { provider: identity.provider })}
                          onClick=${() => this.setState({ unlinking: identity.provider, error: null })}>
                          ${t('user.identities.unlink')}
                        </button>
                      </td>
                    `}
                  </tr>
                `)}
              </tbody>
            </table>
          `}
        <${ConfirmDialog}
          id="unlink-dialog"
          open=${unlinking !== null}
          title=${t('user.identities.confirmTitle')}
          text=${t('user.identities.confirmText', { provider: unlinking || '' })}
          confirmLabel=${t('user.identities.unlink')}
          danger=${true}
          busy=${busy}
          error=${error}
          onConfirm=${this.unlink}
          onCancel=${() => this.setState({ unlinking: null, error: null })}
        />
      </section>
    `;
  }
}

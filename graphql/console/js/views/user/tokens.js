// The user's personal access tokens (never their secrets: the API keeps
// only digests): when made, when they expire, when last used, whether
// revoked, what they may do; rename and revoke (confirmed), and create.
import { run } from '../../api.js';
import { ConfirmDialog } from '../../components/confirm-dialog.js';
import { errorMessage } from '../../errors.js';
import { formatDateTime, t } from '../../i18n.js';
import { Component, html } from '../../ui.js';
import { TokenCreate } from './token-create.js';

/// Props: `user`, `abilities`, `scopes`, `onChanged`, `first` (the
/// `UserTokens` answer `{ data, error }` that came with the page, if any).
export class Tokens extends Component {
  state = { tokens: null, error: null, renaming: null, newName: '', revoking: null, busy: false, actionError: null };

  componentDidMount() {
    if (this.props.first) {
      this.show(this.props.first);
    } else {
      this.load();
    }
  }

  async load() {
    try {
      this.show({ data: await run('UserTokens', { id: this.props.user.id }), error: null });
    } catch (error) {
      this.show({ data: null, error });
    }
  }

  show({ data, error }) {
    if (error) {
      this.setState({ error: errorMessage(error) });
    } else {
      this.setState({ tokens: data.user ? data.user.personalAccessTokens : [], error: null });
    }
  }

  changed = async () => {
    await this.load();
    await this.props.onChanged();
  };

  rename = async (event) => {
    event.preventDefault();
    this.setState({ busy: true, actionError: null });
    try {
      await run('RenamePersonalAccessToken', { id: this.state.renaming, name: this.state.newName });
      this.setState({ busy: false, renaming: null });
      await this.changed();
    } catch (error) {
      this.setState({ busy: false, actionError: errorMessage(error) });
    }
  };

  revoke = async () => {
    this.setState({ busy: true, actionError: null });
    try {
      await run('RevokePersonalAccessToken', { id: this.state.revoking.id });
      this.setState({ busy: false, revoking: null });
      await this.changed();
    } catch (error) {
      this.setState({ busy: false, actionError: errorMessage(error) });
    }
  };

  render({ user, abilities, scopes }, { tokens, error, revoking, busy, actionError }) {
    return html`
      <section class="panel" aria-labelledby="tokens-title">
        <h2 id="tokens-title">${t('user.tokens.title')}</h2>
        <p class="help">${t('user.tokens.help')}</p>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        ${tokens && tokens.length === 0 && html`<p class="none" id="no-tokens">${t('user.tokens.none')}</p>`}
        ${tokens && tokens.length > 0 && this.table(tokens, abilities)}
        ${actionError && !revoking && html`<p class="error" role="alert" id="token-error">${actionError}</p>`}
        ${abilities.writeTokens && html`<${TokenCreate} user=${user} scopes=${scopes} onCreated=${this.changed} />`}
        <${ConfirmDialog}
          id="revoke-dialog"
          open=${revoking !== null}
          title=${t('user.tokens.revokeTitle')}
          text=${t('user.tokens.revokeText', { name: revoking ? revoking.name : '' })}
          confirmLabel=${t('user.tokens.revoke')}
          danger=${true}
          busy=${busy}
          error=${revoking && actionError}
          onConfirm=${this.revoke}
          onCancel=${() => this.setState({ revoking: null, actionError: null })}
        />
      </section>
    `;
  }

  table(tokens, abilities) {
    const never = (value) => (value ? formatDateTime(value) : html`<span class="none">${t('users.never')}</span>`);
    return html`
      <div class="table-wrap">
        <table id="tokens">
          <thead>
            <tr>
              <th scope="col">${t('user.tokens.name')}</th>
              <th scope="col">${t('user.created')}</th>
              <th scope="col">${t('user.tokens.expires')}</th>
              <th scope="col">${t('user.tokens.lastUsed')}</th>
              <th scope="col">${t('user.tokens.revoked')}</th>
              <th scope="col">${t('user.tokens.scopes')}</th>
              ${abilities.writeTokens && html`<th scope="col"><span class="visually-hidden">${t('user.actions')}</span></th>`}
            </tr>
          </thead>
          <tbody>
            ${tokens.map((token) => html`
              <tr key=${token.id} data-token=${token.name} class=${token.revokedAt ? 'revoked' : ''}>
                <td class="token-name">${this.nameCell(token)}</td>
                <td>${formatDateTime(token.createdAt)}</td>
                <td>${never(token.expiresAt)}</td>
                <td>${never(token.lastUsedAt)}</td>
                <td class="token-revoked">${token.revokedAt ? formatDateTime(token.revokedAt) : html`<span class="none">${t('value.none')}</span>`}</td>
                <td>${token.scopes === null ? t('user.tokens.allScopes') : token.scopes.join(', ') || t('value.none')}</td>
                ${abilities.writeTokens && html`<td>${token.revokedAt ? '' : this.actions(token)}</td>`}
              </tr>
            `)}
          </tbody>
        </table>
      </div>
    `;
  }

  nameCell(token) {
    if (this.state.renaming !== token.id) {
      return token.name;
    }
    return html`
      <form class="inline" id="token-rename" onSubmit=${this.rename}>
        <label for="token-new-name" class="visually-hidden">${t('user.tokens.newName', { name: token.name })}</label>
        <input id="token-new-name" maxlength="64" autocomplete="off" value=${this.state.newName}
          onInput=${(e) => this.setState({ newName: e.currentTarget.value })} />
        <button type="submit" class="small" disabled=${this.state.busy || !this.state.newName.trim()}>${t('user.save')}</button>
        <button type="button" class="small secondary" onClick=${() => this.setState({ renaming: null, actionError: null })}>
          ${t('confirm.cancel')}
        </button>
      </form>
    `;
  }

  actions(token) {
    return html`
      <div class="actions start">
        <button type="button" class="small rename" aria-label=${t('user.tokens.renameOne', { name: token.name })}
          onClick=${() => this.setState({ renaming: token.id, newName: token.name, actionError: null })}>
          ${t('user.tokens.rename')}
        </button>
        <button type="button" class="small revoke" aria-label=${t('user.tokens.revokeOne', { name: token.name })}
          onClick=${() => this.setState({ revoking: token, actionError: null })}>
          ${t('user.tokens.revoke')}
        </button>
      </div>
    `;
  }
}

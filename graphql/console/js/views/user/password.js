// The password: whether the user has one, and either a reset by someone
// with `users:password` (typed, or generated and shown once) or, on one's
// own page, a change that proves the current password.
import { run } from '../../api.js';
import { Field, placeError } from '../../components/field.js';
import { SecretOnce } from '../../components/secret-once.js';
import { t } from '../../i18n.js';
import { generatePassword } from '../../password.js';
import { Component, html } from '../../ui.js';

/// Props: `user`, `abilities`, `onChanged`.
export class Password extends Component {
  state = { mode: 'generate', password: '', current: '', busy: false, error: null, generated: null, done: false };

  reset = async (event) => {
    event.preventDefault();
    const generated = this.state.mode === 'generate' ? generatePassword() : null;
    this.setState({ busy: true, error: null, done: false, generated: null });
    try {
      await run('SetUserPassword', { id: this.props.user.id, password: generated ?? this.state.password });
      this.setState({ busy: false, password: '', generated, done: true });
      await this.props.onChanged();
    } catch (error) {
      this.setState({ busy: false, error });
    }
  };

  change = async (event) => {
    event.preventDefault();
    this.setState({ busy: true, error: null, done: false });
    try {
      await run('ChangePassword', { currentPassword: this.state.current, newPassword: this.state.password });
      this.setState({ busy: false, current: '', password: '', done: true });
      await this.props.onChanged();
    } catch (error) {
      this.setState({ busy: false, error });
    }
  };

  render({ user, abilities }, state) {
    if (!abilities.resetPassword && !abilities.changePassword) {
      return html`
        <section class="panel" aria-labelledby="password-title">
          <h2 id="password-title">${t('user.password.title')}</h2>
          ${this.status(user)}
        </section>
      `;
    }
    return html`
      <section class="panel" aria-labelledby="password-title">
        <h2 id="password-title">${t('user.password.title')}</h2>
        ${this.status(user)}
        ${abilities.changePassword ? this.changeForm(state) : this.resetForm(state)}
      </section>
    `;
  }

  status(user) {
    return html`<p id="password-status">${user.hasPassword ? t('user.password.set') : t('user.password.unset')}</p>`;
  }

  resetForm({ mode, password, busy, error: apiError, generated, done }) {
    const error = placeError(apiError, ['password']);
    return html`
      <form id="password-reset" onSubmit=${this.reset}>
        <fieldset>
          <legend>${t('user.password.reset')}</legend>
          <label class="check">
            <input type="radio" name="password-mode" id="password-generate" value="generate"
              checked=${mode === 'generate'} onChange=${() => this.setState({ mode: 'generate' })} />
            ${t('user.password.generate')}
          </label>
          <label class="check">
            <input type="radio" name="password-mode" id="password-type" value="type"
              checked=${mode === 'type'} onChange=${() => this.setState({ mode: 'type' })} />
            ${t('user.password.type')}
          </label>
          ${mode === 'type' && html`
            <${Field} id="new-password" label=${t('user.password.new')} type="password" autocomplete="new-password"
              value=${password} error=${error.at('password')} onInput=${(value) => this.setState({ password: value })} />
          `}
        </fieldset>
        ${error.general && html`<p class="error" role="alert">${error.general}</p>`}
        ${done && !generated && html`<p class="notice" role="status" id="password-done">${t('user.password.resetDone')}</p>`}
        <div class="actions start">
          <button type="submit" id="password-reset-submit" disabled=${busy || (mode === 'type' && !password)}>
            ${t('user.password.resetSubmit')}
          </button>
        </div>
      </form>
      ${generated && html`
        <${SecretOnce} id="generated-password" label=${t('user.password.generated')} value=${generated}
          onDone=${() => this.setState({ generated: null })} />
      `}
    `;
  }

  changeForm({ current, password, busy, error: apiError, done }) {
    const error = placeError(apiError, ['currentPassword', 'newPassword']);
    return html`
      <form id="password-change" onSubmit=${this.change}>
        <${Field} id="current-password" label=${t('user.password.current')} type="password" autocomplete="current-password"
          value=${current} error=${error.at('currentPassword')} onInput=${(value) => this.setState({ current: value })} />
        <${Field} id="new-password" label=${t('user.password.new')} type="password" autocomplete="new-password"
          value=${password} error=${error.at('newPassword')} onInput=${(value) => this.setState({ password: value })} />
        ${error.general && html`<p class="error" role="alert">${error.general}</p>`}
        ${done && html`<p class="notice" role="status" id="password-done">${t('user.password.changed')}</p>`}
        <div class="actions start">
          <button type="submit" id="password-change-submit" disabled=${busy || !current || !password}>
            ${t('user.password.changeSubmit')}
          </button>
        </div>
      </form>
    `;
  }
}

// Signing in: an identifier (username, email or phone) and a password sent
// to `signIn`, or an access token pasted in.
import { errorMessage } from '../errors.js';
import { t } from '../i18n.js';
import * as session from '../session.js';
import { Component, html } from '../ui.js';
import { LanguageSwitch } from './language-switch.js';

export class SignIn extends Component {
  constructor() {
    super();
    this.state = { busy: false, error: null, tokenError: null };
  }

  withPassword = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const identifier = form.elements.identifier.value.trim();
    const password = form.elements.password.value;
    this.setState({ busy: true, error: null });
    try {
      await session.signInWithPassword(identifier, password);
      this.props.onSignedIn();
    } catch (error) {
      this.setState({ busy: false, error: errorMessage(error, 'signIn') });
      form.elements.password.select();
    }
  };

  withToken = (event) => {
    event.preventDefault();
    const token = event.currentTarget.elements.token.value.trim();
    if (token === '') {
      this.setState({ tokenError: t('signIn.tokenMissing') });
      return;
    }
    session.signInWithToken(token);
    this.props.onSignedIn();
  };

  render({ notice }, { busy, error, tokenError }) {
    return html`
      <main id="main" class="sign-in">
        <div class="sign-in-top">
          <${LanguageSwitch} />
        </div>
        <h1>${t('signIn.title')}</h1>
        ${notice && html`<p class="notice" role="status">${t(notice)}</p>`}
        <form id="sign-in" onSubmit=${this.withPassword} aria-describedby=${error ? 'sign-in-error' : undefined}>
          <label for="identifier">${t('signIn.identifier')}</label>
          <input id="identifier" name="identifier" autocomplete="username" required autofocus />
          <label for="password">${t('signIn.password')}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          ${error && html`<p id="sign-in-error" class="error" role="alert">${error}</p>`}
          <button type="submit" disabled=${busy}>${busy ? t('signIn.busy') : t('signIn.submit')}</button>
        </form>
        <details class="token-sign-in">
          <summary>${t('signIn.withToken')}</summary>
          <form id="token-sign-in" onSubmit=${this.withToken}>
            <label for="token">${t('signIn.token')}</label>
            <input id="token" name="token" type="password" autocomplete="off" spellcheck="false"
              aria-describedby="token-help${tokenError ? ' token-error' : ''}" />
            <p id="token-help" class="help">${t('signIn.tokenHelp')}</p>
            ${tokenError && html`<p id="token-error" class="error" role="alert">${tokenError}</p>`}
            <button type="submit">${t('signIn.useToken')}</button>
          </form>
        </details>
      </main>
    `;
  }
}

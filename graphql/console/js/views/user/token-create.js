// A new personal access token: a name, an expiry (presets or a date) and,
// optionally, scopes narrowing it to some of the permissions both the
// owner and the caller hold. Its secret is shown once, here, and is gone
// for good when the person says they kept it or leaves the page.
import { run } from '../../api.js';
import { Field, placeError } from '../../components/field.js';
import { SecretOnce } from '../../components/secret-once.js';
import { t } from '../../i18n.js';
import { Component, html } from '../../ui.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const EXPIRIES = [
  { id: '30', days: 30 },
  { id: '90', days: 90 },
  { id: '365', days: 365 },
  { id: 'never', days: null },
  { id: 'custom', days: null },
];

/// The `expiresAt` of a choice (null: never), or undefined when the custom
/// date is missing.
function expiresAt(choice, date) {
  if (choice === 'never') {
    return null;
  }
  if (choice === 'custom') {
    // The token lasts through the chosen day, in the reader's time zone.
    return date ? new Date(`${date}T23:59:59`).toISOString() : undefined;
  }
  const days = EXPIRIES.find((expiry) => expiry.id === choice).days;
  return new Date(Date.now() + days * DAY_MS).toISOString();
}

const FIELDS = ['name', 'expiresAt', 'scopes'];

/// Props: `user`, `scopes` (the permissions a scope may name), `onCreated`.
export class TokenCreate extends Component {
  state = { name: '', expiry: '90', date: '', limit: false, chosen: [], busy: false, error: null, secret: null };

  create = async (event) => {
    event.preventDefault();
    const { name, expiry, date, limit, chosen } = this.state;
    const input = { name, expiresAt: expiresAt(expiry, date), scopes: limit ? chosen : null };
    this.setState({ busy: true, error: null, secret: null });
    try {
      const data = await run('CreatePersonalAccessToken', { userId: this.props.user.id, input });
      this.setState({ busy: false, name: '', secret: data.createPersonalAccessToken.secret });
      await this.props.onCreated();
    } catch (error) {
      this.setState({ busy: false, error });
    }
  };

  toggle(permission, on) {
    this.setState(({ chosen }) => ({
      chosen: on ? [...chosen, permission] : chosen.filter((p) => p !== permission),
    }));
  }

  render({ scopes }, { name, expiry, date, limit, chosen, busy, error: apiError, secret }) {
    const error = placeError(apiError, FIELDS);
    // The API reports a taken name as a conflict; say what it means here.
    const nameTaken = apiError && apiError.code === 'CONFLICT' && apiError.field === 'name';
    const missingDate = expiry === 'custom' && !date;
    return html`
      <form id="token-create" class="subpanel" onSubmit=${this.create}>
        <h3>${t('user.tokens.create')}</h3>
        <${Field} id="token-name" label=${t('user.tokens.name')} value=${name} maxlength="64" autocomplete="off"
          error=${nameTaken ? t('user.tokens.nameTaken') : error.at('name')} onInput=${(value) => this.setState({ name: value })} />
        <div class="field">
          <label for="token-expiry">${t('user.tokens.expiry')}</label>
          <select id="token-expiry" value=${expiry}
            aria-describedby=${error.at('expiresAt') ? 'token-expiry-error' : undefined}
            onChange=${(e) => this.setState({ expiry: e.currentTarget.value })}>
            ${EXPIRIES.map((choice) => html`<option value=${choice.id}>${t(`user.tokens.expiry.${choice.id}`)}</option>`)}
          </select>
          ${error.at('expiresAt') && html`<p id="token-expiry-error" class="error field-error" role="alert">${error.at('expiresAt')}</p>`}
        </div>
        ${expiry === 'custom' && html`
          <${Field} id="token-date" label=${t('user.tokens.date')} type="date" value=${date}
            onInput=${(value) => this.setState({ date: value })} />
        `}
        <fieldset>
          <legend>${t('user.tokens.scopes')}</legend>
          <label class="check">
            <input type="checkbox" id="token-limit" checked=${limit}
              onChange=${(e) => this.setState({ limit: e.currentTarget.checked })} />
            ${t('user.tokens.limit')}
          </label>
          ${limit && (scopes.length === 0
            ? html`<p class="help">${t('user.tokens.noScopes')}</p>`
            : html`
              <div class="checks">
                ${scopes.map((permission) => html`
                  <label class="check">
                    <input type="checkbox" name="scope" value=${permission} checked=${chosen.includes(permission)}
                      onChange=${(e) => this.toggle(permission, e.currentTarget.checked)} />
                    <code>${permission}</code>
                  </label>
                `)}
              </div>
            `)}
          ${error.at('scopes') && html`<p class="error field-error" role="alert">${error.at('scopes')}</p>`}
        </fieldset>
        ${error.general && html`<p class="error" role="alert" id="token-create-error">${error.general}</p>`}
        <div class="actions start">
          <button type="submit" id="token-create-submit" disabled=${busy || !name.trim() || missingDate}>
            ${t('user.tokens.createSubmit')}
          </button>
        </div>
      </form>
      ${secret && html`
        <${SecretOnce} id="token-secret" label=${t('user.tokens.secret')} value=${secret}
          onDone=${() => this.setState({ secret: null })} />
      `}
    `;
  }
}

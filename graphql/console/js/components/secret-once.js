// A secret (a generated password, a new token) shown once, with a copy
// button: the API never returns it again, so the text says so.
import { copyText } from '../clipboard.js';
import { t } from '../i18n.js';
import { Component, html } from '../ui.js';

/// Props: `label`, `value`, `id` (of the <output>), `onDone` (the person
/// has kept it; the caller forgets the value).
export class SecretOnce extends Component {
  state = { copied: false };

  copy = async () => {
    if (await copyText(this.props.value, this.output)) {
      this.setState({ copied: true });
    }
  };

  render({ label, value, id = 'secret', onDone }, { copied }) {
    return html`
      <div class="secret-once" role="region" aria-label=${label}>
        <p class="warning">${t('secret.once')}</p>
        <label for=${id}>${label}</label>
        <output id=${id} class="secret" ref=${(element) => (this.output = element)}>${value}</output>
        <div class="actions">
          <button type="button" class="copy" onClick=${this.copy}>
            ${copied ? t('secret.copied') : t('secret.copy')}
          </button>
          ${onDone && html`<button type="button" class="secondary done" onClick=${onDone}>${t('secret.done')}</button>`}
        </div>
        <span class="visually-hidden" role="status">${copied ? t('secret.copied') : ''}</span>
      </div>
    `;
  }
}

// A button copying a short value shown beside it (an id), saying when done.
import { copyText } from '../clipboard.js';
import { t } from '../i18n.js';
import { Component, html } from '../ui.js';

/// Props: `value`, `label` (what is copied, for screen readers), `target`
/// (the element showing the value, selected when the clipboard is refused).
export class CopyButton extends Component {
  state = { copied: false };

  copy = async () => {
    const target = this.props.target ? document.getElementById(this.props.target) : null;
    this.setState({ copied: await copyText(this.props.value, target) });
  };

  render({ label }, { copied }) {
    return html`
      <button type="button" class="copy small" aria-label=${label} onClick=${this.copy}>
        ${copied ? t('secret.copied') : t('secret.copy')}
      </button>
      <span class="visually-hidden" role="status">${copied ? t('secret.copied') : ''}</span>
    `;
  }
}

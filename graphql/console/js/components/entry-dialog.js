// One audit log entry as the API returned it, pretty-printed JSON in a
// native modal <dialog> (focus kept inside, Escape closes).
import { formatDateTime, t } from '../i18n.js';
import { Component, html } from '../ui.js';

/// Props: `entry` (null: closed), `onClose`.
export class EntryDialog extends Component {
  dialog = null;

  componentDidMount() {
    this.sync();
  }

  componentDidUpdate() {
    this.sync();
  }

  sync() {
    const dialog = this.dialog;
    if (!dialog) {
      return;
    }
    if (this.props.entry && !dialog.open) {
      dialog.showModal();
    } else if (!this.props.entry && dialog.open) {
      dialog.close();
    }
  }

  cancel = (event) => {
    event.preventDefault();
    this.props.onClose();
  };

  render({ entry, onClose }) {
    return html`
      <dialog class="confirm entry" id="entry-detail" ref=${(element) => (this.dialog = element)}
        aria-labelledby="entry-title" onCancel=${this.cancel}>
        ${entry &&
        html`
          <h2 id="entry-title">${t('audit.detail.title', { key: entry.key, time: formatDateTime(entry.createdAt) })}</h2>
          <pre class="json" id="entry-json" tabindex="0" aria-label=${t('audit.detail.json')}>${JSON.stringify(entry, null, 2)}</pre>
          <div class="actions">
            <button type="button" id="entry-close" onClick=${onClose}>${t('audit.detail.close')}</button>
          </div>
        `}
      </dialog>
    `;
  }
}

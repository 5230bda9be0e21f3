// A modal confirmation for actions that cannot be undone (delete, unlink,
// revoke, bulk actions). The native <dialog> gives focus trapping, Escape
// to cancel and the modal role for screen readers.
import { t } from '../i18n.js';
import { Component, html } from '../ui.js';

/// Props: `id` (unique on the page, the prefix of its parts' ids:
/// `<id>-title`, `<id>-text`, `<id>-yes`; default `confirm`), `open`,
/// `title`, `text` (what will happen, with counts), `confirmLabel`,
/// `danger` (styles the confirm button as destructive), `busy` (the
/// action is running), `error` (a message to show), `onConfirm`,
/// `onCancel`.
export class ConfirmDialog extends Component {
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
    if (this.props.open && !dialog.open) {
      dialog.showModal();
    } else if (!this.props.open && dialog.open) {
      dialog.close();
    }
  }

  cancel = (event) => {
    // Escape closes a native dialog by itself; keep the state in charge.
    event.preventDefault();
    if (!this.props.busy) {
      this.props.onCancel();
    }
  };

  render({ id = 'confirm', title, text, confirmLabel, danger = false, busy = false, error = null, onConfirm, onCancel }) {
    return html`
      <dialog
        class="confirm"
        ref=${(element) => (this.dialog = element)}
        id=${id}
        aria-labelledby=${`${id}-title`}
        aria-describedby=${`${id}-text`}
        onCancel=${this.cancel}
      >
        <h2 id=${`${id}-title`}>${title}</h2>
        <p id=${`${id}-text`}>${text}</p>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <div class="actions">
          <button type="button" class="secondary" onClick=${onCancel} disabled=${busy}>
            ${t('confirm.cancel')}
          </button>
          <button
            type="button"
            class=${danger ? 'danger' : ''}
            id=${`${id}-yes`}
            onClick=${onConfirm}
            disabled=${busy}
            aria-busy=${busy ? 'true' : undefined}
          >
            ${confirmLabel}
          </button>
        </div>
      </dialog>
    `;
  }
}

// A native modal <dialog> driven by props: focus kept inside, Escape and
// the backdrop's cancel handled by the owner's state, the dialog role for
// screen readers. The confirmation and the audit entry view are built on it.
import { Component, html } from '../ui.js';

/// Props: `open`, `onCancel` (Escape; not called while `busy`), `busy`,
/// `id`, `class`, `labelledBy`, `describedBy`, children.
export class Modal extends Component {
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

  render({ id, class: className, labelledBy, describedBy, children }) {
    return html`
      <dialog
        class=${className}
        ref=${(element) => (this.dialog = element)}
        id=${id}
        aria-labelledby=${labelledBy}
        aria-describedby=${describedBy}
        onCancel=${this.cancel}
      >
        ${children}
      </dialog>
    `;
  }
}

// A modal confirmation for actions that cannot be undone (delete, unlink,
// revoke, bulk actions).
import { t } from '../i18n.js';
import { html } from '../ui.js';
import { Modal } from './modal.js';

/// Props: `id` (unique on the page, the prefix of its parts' ids:
/// `<id>-title`, `<id>-text`, `<id>-yes`; default `confirm`), `open`,
/// `title`, `text` (what will happen, with counts), `confirmLabel`,
/// `danger` (styles the confirm button as destructive), `busy` (the
/// action is running), `error` (a message to show), `onConfirm`,
/// `onCancel`.
export function ConfirmDialog({
  id = 'confirm',
  open,
  title,
  text,
  confirmLabel,
  danger = false,
  busy = false,
  error = null,
  onConfirm,
  onCancel,
}) {
  return html`
    <${Modal}
      class="confirm"
      id=${id}
      open=${open}
      busy=${busy}
      onCancel=${onCancel}
      labelledBy=${`${id}-title`}
      describedBy=${`${id}-text`}
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
    <//>
  `;
}

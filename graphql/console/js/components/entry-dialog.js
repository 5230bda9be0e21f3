// One audit log entry as the API returned it, pretty-printed JSON in a
// modal dialog.
import { formatDateTime, t } from '../i18n.js';
import { html } from '../ui.js';
import { Modal } from './modal.js';

/// Props: `entry` (null: closed), `onClose`.
export function EntryDialog({ entry, onClose }) {
  return html`
    <${Modal}
      class="confirm entry"
      id="entry-detail"
      open=${Boolean(entry)}
      onCancel=${onClose}
      labelledBy="entry-title"
    >
      ${entry &&
      html`
        <h2 id="entry-title">${t('audit.detail.title', { key: entry.key, time: formatDateTime(entry.createdAt) })}</h2>
        <pre class="json" id="entry-json" tabindex="0" aria-label=${t('audit.detail.json')}>${JSON.stringify(entry, null, 2)}</pre>
        <div class="actions">
          <button type="button" id="entry-close" onClick=${onClose}>${t('audit.detail.close')}</button>
        </div>
      `}
    <//>
  `;
}

// Keyset paging buttons: First page, Previous (when the list can page
// backwards) and Next, in a labelled navigation landmark.
import { t } from '../i18n.js';
import { html } from '../ui.js';

/// Props: `label` (of the landmark), `prefix` (of the buttons' ids:
/// `<prefix>first-page`, ...), `onFirstPage` (whether the first page is
/// shown), `hasPrevious`, `hasNext`, `onFirst`, `onPrevious` (omit for a
/// list that only pages forward), `onNext`.
export function Pager({ label, prefix = '', onFirstPage, hasPrevious, hasNext, onFirst, onPrevious, onNext }) {
  return html`
    <nav class="pager" aria-label=${label}>
      <button type="button" id=${`${prefix}first-page`} disabled=${onFirstPage} onClick=${onFirst}>
        ${t('users.firstPage')}
      </button>
      ${onPrevious &&
      html`<button type="button" id=${`${prefix}previous-page`} disabled=${!hasPrevious} onClick=${onPrevious}>
        ${t('users.previousPage')}
      </button>`}
      <button type="button" id=${`${prefix}next-page`} disabled=${!hasNext} onClick=${onNext}>
        ${t('users.nextPage')}
      </button>
    </nav>
  `;
}

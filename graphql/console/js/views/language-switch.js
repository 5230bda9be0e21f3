// The language menu; the choice is remembered for the next visit.
import { language, languages, setLanguage, t } from '../i18n.js';
import { html } from '../ui.js';

export function LanguageSwitch() {
  return html`
    <label class="language">
      <span class="visually-hidden">${t('language.label')}</span>
      <select id="language" value=${language()} onChange=${(event) => setLanguage(event.currentTarget.value)}>
        ${languages.map(
          (option) => html`<option value=${option.code} lang=${option.code}>${option.name}</option>`,
        )}
      </select>
    </label>
  `;
}

// A labelled form field with its help and its error beneath, both tied to
// the input by aria-describedby, so a screen reader reads them with it.
import { errorMessage } from '../errors.js';
import { html } from '../ui.js';

/// Props: `id`, `label`, `value`, `onInput(value)`, `error` (a message or
/// null), `help`, `multiline` (a textarea), and any input attribute
/// (`type`, `autocomplete`, `readOnly`, `required`, ...).
export function Field({ id, label, value, onInput, error = null, help = null, multiline = false, ...attributes }) {
  const described = [help && `${id}-help`, error && `${id}-error`].filter(Boolean).join(' ');
  const common = {
    id,
    name: id,
    value,
    onInput: (event) => onInput && onInput(event.currentTarget.value),
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': described || undefined,
    ...attributes,
  };
  return html`
    <div class="field">
      <label for=${id}>${label}</label>
      ${multiline ? html`<textarea ...${common} />` : html`<input ...${common} />`}
      ${help && html`<p id=${`${id}-help`} class="help">${help}</p>`}
      ${error && html`<p id=${`${id}-error`} class="error field-error" role="alert">${error}</p>`}
    </div>
  `;
}

/// Where an API error shows: `at(field)` is its message for the field the
/// API blamed (`ApiError.field`) when the form has that field, and
/// `general` its message when it belongs to no field of the form.
export function placeError(error, fields) {
  const message = error ? errorMessage(error) : null;
  const placed = Boolean(error && error.field && fields.includes(error.field));
  return {
    at: (field) => (placed && error.field === field ? message : null),
    general: placed ? null : message,
  };
}

// Custom data in a JSON editor. The text is checked before anything is
// sent: invalid JSON (with where it breaks) and anything but an object are
// refused in place; a valid object replaces the stored one
// (`updateUserCustomData(replace: true)`).
import { run } from '../../api.js';
import { errorMessage } from '../../errors.js';
import { t } from '../../i18n.js';
import { Component, html } from '../../ui.js';
import { parseObject, textOf } from './json.js';

/// Props: `user`, `abilities`, `onSaved`, `onDirty(bool)`.
export class CustomData extends Component {
  constructor(props) {
    super(props);
    const base = textOf(props.user.customData);
    this.state = { base, text: base, busy: false, error: null, saved: false };
  }

  componentDidUpdate(previous) {
    if (previous.user !== this.props.user) {
      const base = textOf(this.props.user.customData);
      if (base !== this.state.base) {
        this.setState(({ base: old, text }) => ({ base, text: text === old ? base : text }));
      }
    }
    const dirty = this.state.text !== this.state.base;
    if (dirty !== this.reported) {
      this.reported = dirty;
      this.props.onDirty(dirty);
    }
  }

  save = async (event) => {
    event.preventDefault();
    const parsed = parseObject(this.state.text);
    if (!parsed.value) {
      const error =
        parsed.problem === 'syntax'
          ? t('user.customData.invalid', parsed)
          : t('user.customData.notObject');
      this.setState({ error, saved: false });
      document.getElementById('custom-data').focus();
      return;
    }
    this.setState({ busy: true, error: null, saved: false });
    try {
      await run('UpdateUserCustomData', { id: this.props.user.id, customData: parsed.value });
      await this.props.onSaved();
      // The editor now shows what is stored, as the server formats it.
      this.setState(({ base }) => ({ text: base, busy: false, saved: true }));
    } catch (error) {
      this.setState({ busy: false, error: errorMessage(error) });
    }
  };

  render({ abilities }, { text, base, busy, error, saved }) {
    const dirty = text !== base;
    const readOnly = !abilities.editCustomData;
    return html`
      <section class="panel" aria-labelledby="custom-data-title">
        <h2 id="custom-data-title">${t('user.customData.title')}</h2>
        <form id="custom-data-form" onSubmit=${this.save}>
          <label for="custom-data">${t('user.customData.label')}</label>
          <textarea
            id="custom-data"
            class="json"
            rows="8"
            spellcheck="false"
            autocomplete="off"
            readOnly=${readOnly}
            value=${text}
            aria-invalid=${error ? 'true' : undefined}
            aria-describedby=${error ? 'custom-data-help custom-data-error' : 'custom-data-help'}
            onInput=${(e) => this.setState({ text: e.currentTarget.value, saved: false })}
          />
          <p class="help" id="custom-data-help">
            ${readOnly ? t('user.customData.readOnly') : t('user.customData.help')}
          </p>
          ${error && html`<p class="error" role="alert" id="custom-data-error">${error}</p>`}
          ${saved && !dirty && html`<p class="notice" role="status" id="custom-data-saved">${t('user.saved')}</p>`}
          ${!readOnly && html`
            <div class="actions start">
              <button type="submit" id="custom-data-save" disabled=${!dirty || busy}>${busy ? t('user.saving') : t('user.save')}</button>
              <button type="button" id="custom-data-discard" class="secondary" disabled=${!dirty || busy}
                onClick=${() => this.setState({ text: base, error: null })}>${t('user.discard')}</button>
            </div>
          `}
        </form>
      </section>
    `;
  }
}

// Identifiers, name, avatar and the OIDC profile in one form: Save sends
// only what changed (`updateUser`, then `updateUserProfile`), Discard puts
// back what is saved, and the page is told while something is unsaved.
import { run } from '../../api.js';
import { Field, placeError } from '../../components/field.js';
import { t } from '../../i18n.js';
import { Component, html } from '../../ui.js';
import { ADDRESS, BASICS, CLAIMS, IDENTIFIERS, changedKeys, draftOf, inputId, inputsOf, rebase } from './fields.js';

const FIELD_KEYS = [...IDENTIFIERS, ...BASICS, ...CLAIMS, ...ADDRESS].map(({ key }) => key);

/// Props: `user`, `abilities`, `onSaved` (reloads the user), `onDirty(bool)`.
export class ProfileForm extends Component {
  constructor(props) {
    super(props);
    const base = draftOf(props.user);
    this.state = { base, draft: base, busy: false, error: null, saved: false };
  }

  componentDidUpdate(previous) {
    if (previous.user !== this.props.user) {
      const base = draftOf(this.props.user);
      this.setState(({ base: old, draft }) => ({ base, draft: rebase(old, base, draft) }));
    }
    const dirty = this.dirty();
    if (dirty !== this.reported) {
      this.reported = dirty;
      this.props.onDirty(dirty);
    }
  }

  dirty() {
    return changedKeys(this.state.base, this.state.draft).length > 0;
  }

  set(key, value) {
    this.setState(({ draft }) => ({ draft: { ...draft, [key]: value }, saved: false }));
  }

  discard = () => {
    this.setState(({ base }) => ({ draft: base, error: null, saved: false }));
  };

  save = async (event) => {
    event.preventDefault();
    const { base, draft } = this.state;
    const { user, profile } = inputsOf(base, draft);
    const id = this.props.user.id;
    this.setState({ busy: true, error: null, saved: false });
    let error = null;
    try {
      if (user) {
        await run('UpdateUser', { id, input: user });
      }
      if (profile) {
        await run('UpdateUserProfile', { id, profile });
      }
    } catch (caught) {
      error = caught;
    }
    // Reloading shows what was saved, also when only the first part was.
    await this.props.onSaved();
    this.setState({ busy: false, error, saved: !error });
    if (error) {
      const field = document.getElementById(inputId(error.field || ''));
      if (field) {
        field.focus();
      }
    }
  };

  field(spec, error, readOnly = false, help = null) {
    return html`<${Field}
      id=${inputId(spec.key)}
      label=${t(`user.field.${spec.key}`)}
      value=${this.state.draft[spec.key]}
      type=${spec.type || 'text'}
      autocomplete=${spec.autocomplete || 'off'}
      readOnly=${readOnly}
      help=${help}
      error=${error.at(spec.key)}
      onInput=${(value) => this.set(spec.key, value)}
    />`;
  }

  render({ abilities }, { busy, error: apiError, saved }) {
    const error = placeError(apiError, FIELD_KEYS);
    const dirty = this.dirty();
    const readOnly = !abilities.editProfile;
    const identifiersHelp = abilities.editIdentifiers ? null : t('user.identifiersReadOnly');
    return html`
      <section class="panel" aria-labelledby="profile-title">
        <h2 id="profile-title">${t('user.profile.title')}</h2>
        <form id="profile-form" novalidate onSubmit=${this.save}>
          <fieldset>
            <legend>${t('user.profile.identifiers')}</legend>
            ${IDENTIFIERS.map((spec) => this.field(spec, error, !abilities.editIdentifiers))}
            ${identifiersHelp && html`<p class="help" id="identifiers-help">${identifiersHelp}</p>`}
          </fieldset>
          <fieldset>
            <legend>${t('user.profile.basics')}</legend>
            ${BASICS.map((spec) => this.field(spec, error, readOnly, spec.key === 'avatar' ? t('user.avatarHelp') : null))}
          </fieldset>
          <details open=${CLAIMS.some(({ key }) => this.state.draft[key]) || undefined}>
            <summary>${t('user.profile.claims')}</summary>
            <div class="grid">${CLAIMS.map((spec) => this.field(spec, error, readOnly))}</div>
            <fieldset>
              <legend>${t('user.profile.address')}</legend>
              <div class="grid">${ADDRESS.map((spec) => this.field(spec, error, readOnly))}</div>
            </fieldset>
          </details>
          ${error.general && html`<p class="error" role="alert" id="profile-error">${error.general}</p>`}
          ${saved && !dirty && html`<p class="notice" role="status" id="profile-saved">${t('user.saved')}</p>`}
          ${!readOnly && html`
            <div class="actions start">
              <button type="submit" id="profile-save" disabled=${!dirty || busy}>${busy ? t('user.saving') : t('user.save')}</button>
              <button type="button" id="profile-discard" class="secondary" disabled=${!dirty || busy} onClick=${this.discard}>
                ${t('user.discard')}
              </button>
            </div>
          `}
        </form>
      </section>
    `;
  }
}

// Creating a user: identifiers, name, roles, and a password either typed
// (the server's password rules judge it) or generated here and shown once.
// Each refusal the API ties to a field is shown at that field.
import { run } from '../api.js';
import { RolePicker } from '../components/role-picker.js';
import { SecretOnce } from '../components/secret-once.js';
import { errorMessage } from '../errors.js';
import { t } from '../i18n.js';
import { generatePassword } from '../password.js';
import { roleChoices } from '../roles.js';
import { href, navigate } from '../router.js';
import { Component, html } from '../ui.js';

const FIELDS = [
  { name: 'username', id: 'new-username', label: 'users.create.username', autocomplete: 'off' },
  { name: 'primaryEmail', id: 'new-email', label: 'users.create.email', type: 'email', autocomplete: 'off' },
  { name: 'primaryPhone', id: 'new-phone', label: 'users.create.phone', type: 'tel', autocomplete: 'off' },
  { name: 'name', id: 'new-name', label: 'users.create.name', autocomplete: 'off' },
];

/// The form field an API error is about (`extensions.field` may be a path
/// such as `input.primaryEmail`), or null for the form as a whole.
function fieldOf(error) {
  const field = error && error.field ? error.field.split('.').pop() : null;
  return field === 'password' || FIELDS.some((one) => one.name === field) ? field : null;
}

/// Props: `permissions`.
export class UserCreate extends Component {
  state = {
    values: { username: '', primaryEmail: '', primaryPhone: '', name: '', password: '' },
    roleIds: [],
    roles: null,
    rolesError: null,
    mode: 'generate',
    busy: false,
    errors: {},
    created: null,
  };

  componentDidMount() {
    if (this.props.permissions.has('roles:read')) {
      roleChoices().then(
        (roles) => this.setState({ roles }),
        (error) => this.setState({ rolesError: errorMessage(error) }),
      );
    }
  }

  input(name) {
    return (event) => {
      const errors = { ...this.state.errors };
      delete errors[name];
      this.setState({ values: { ...this.state.values, [name]: event.currentTarget.value }, errors });
    };
  }

  submit = async (event) => {
    event.preventDefault();
    const { values, mode, roleIds } = this.state;
    const input = {};
    for (const { name } of FIELDS) {
      if (values[name].trim() !== '') {
        input[name] = values[name].trim();
      }
    }
    // Passwords are taken exactly as typed: the server never trims them.
    const password = mode === 'generate' ? generatePassword() : values.password;
    input.password = password;
    this.setState({ busy: true, errors: {} });
    let user;
    try {
      user = (await run('CreateUser', { input })).createUser;
    } catch (error) {
      const field = fieldOf(error);
      this.setState({ busy: false, errors: { [field || 'form']: errorMessage(error, 'userCreate') } });
      this.focusError(field);
      return;
    }
    let rolesError = null;
    if (roleIds.length > 0) {
      try {
        await run('AssignUserRoles', { userId: user.id, roleIds });
      } catch (error) {
        rolesError = errorMessage(error, 'userCreate');
      }
    }
    if (mode === 'generate' || rolesError) {
      this.setState({ busy: false, created: { user, secret: mode === 'generate' ? password : null, rolesError } });
    } else {
      this.open(user);
    }
  };

  focusError(field) {
    const target = field ? document.getElementById(field === 'password' ? 'new-password' : FIELDS.find((one) => one.name === field).id) : null;
    setTimeout(() => (target || document.getElementById('create-error'))?.focus());
  }

  open(user) {
    navigate(`users/${encodeURIComponent(user.id)}`);
  }

  render(_, state) {
    if (state.created) {
      return this.done(state.created);
    }
    const { values, errors, mode, busy, roles, rolesError, roleIds } = state;
    return html`
      <section class="user-create">
        <p><a href=${href('users')}>${t('users.create.back')}</a></p>
        <h1>${t('users.create.title')}</h1>
        <form id="create-user" onSubmit=${this.submit} novalidate>
          ${FIELDS.map((field) => this.field(field, values[field.name], errors[field.name]))}
          ${this.props.permissions.has('roles:read') &&
          html`<${RolePicker} id="new-roles" legend=${t('users.create.roles')} roles=${roles} error=${rolesError}
            selected=${roleIds} onChange=${(ids) => this.setState({ roleIds: ids })} />`}
          <fieldset class="password-choice">
            <legend>${t('users.create.password')}</legend>
            <label class="check">
              <input type="radio" name="password-mode" id="password-generate" value="generate"
                checked=${mode === 'generate'} onChange=${() => this.setState({ mode: 'generate' })} />
              ${t('users.create.generate')}
            </label>
            <label class="check">
              <input type="radio" name="password-mode" id="password-type" value="type"
                checked=${mode === 'type'} onChange=${() => this.setState({ mode: 'type' })} />
              ${t('users.create.type')}
            </label>
            ${mode === 'type' &&
            html`
              <label for="new-password">${t('users.create.typedPassword')}</label>
              <input id="new-password" type="password" autocomplete="new-password" value=${values.password}
                onInput=${this.input('password')} required aria-invalid=${errors.password ? 'true' : undefined}
                aria-describedby=${errors.password ? 'new-password-error' : 'new-password-help'} />
              ${errors.password
                ? html`<p id="new-password-error" class="error" role="alert">${errors.password}</p>`
                : html`<p id="new-password-help" class="help">${t('users.create.passwordHelp')}</p>`}
            `}
            ${mode === 'generate' && html`<p class="help">${t('users.create.generateHelp')}</p>`}
            ${mode === 'generate' && errors.password && html`<p id="new-password-error" class="error" role="alert">${errors.password}</p>`}
          </fieldset>
          ${errors.form && html`<p id="create-error" class="error" role="alert" tabindex="-1">${errors.form}</p>`}
          <div class="actions">
            <a class="button secondary" href=${href('users')}>${t('users.create.cancel')}</a>
            <button type="submit" id="create-submit" disabled=${busy}>
              ${busy ? t('users.create.busy') : t('users.create.submit')}
            </button>
          </div>
        </form>
      </section>
    `;
  }

  field({ name, id, label, type = 'text', autocomplete }, value, error) {
    return html`
      <div class="field">
        <label for=${id}>${t(label)}</label>
        <input id=${id} name=${name} type=${type} value=${value} autocomplete=${autocomplete} spellcheck="false"
          onInput=${this.input(name)} aria-invalid=${error ? 'true' : undefined}
          aria-describedby=${error ? `${id}-error` : undefined} />
        ${error && html`<p id=${`${id}-error`} class="error" role="alert">${error}</p>`}
      </div>
    `;
  }

  /// After creation: the generated password, once, before the user's page.
  done({ user, secret, rolesError }) {
    const name = user.username || user.id;
    return html`
      <section class="user-create">
        <h1>${t('users.create.created', { name })}</h1>
        ${rolesError && html`<p class="error" role="alert">${t('users.create.rolesFailed', { message: rolesError })}</p>`}
        ${secret
          ? html`<${SecretOnce} id="new-password-secret" label=${t('users.create.secretLabel', { name })} value=${secret}
              onDone=${() => this.open(user)} />`
          : html`<p><a href=${href(`users/${encodeURIComponent(user.id)}`)} id="open-user">${t('users.create.open')}</a></p>`}
      </section>
    `;
  }
}

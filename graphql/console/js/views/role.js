// One role (`roles/<id>`) or a new one (`roles/new`): name, description,
// permissions and the default switch in a form with Save / Discard, delete
// with a confirmation that says how many users hold the role, and the
// users holding it. Without `roles:write` the form is read-only.
import { run } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { errorMessage } from '../errors.js';
import { flash } from '../flash.js';
import { formatDateTime, t } from '../i18n.js';
import { href, navigate } from '../router.js';
import { Component, html } from '../ui.js';
import { RoleHolders } from './role-holders.js';
import { checklistEntries, PermissionChecklist } from './role-permissions.js';

const FIELDS = ['name', 'description', 'permissions', 'isDefault'];
const EMPTY = { name: '', description: '', permissions: [], isDefault: false };

function formOf(role) {
  return {
    name: role.name,
    description: role.description || '',
    permissions: new Set(role.permissions),
    isDefault: role.isDefault,
  };
}

function sameForm(a, b) {
  return (
    a.name === b.name &&
    a.description === b.description &&
    a.isDefault === b.isDefault &&
    a.permissions.size === b.permissions.size &&
    [...a.permissions].every((permission) => b.permissions.has(permission))
  );
}

/// Props: `id` ('new' for a new role), `params` (the URL's: the holders'
/// page), `permissions` (the caller's).
export class RolePage extends Component {
  constructor(props) {
    super(props);
    this.state = this.initialState();
    this.request = 0;
  }

  initialState() {
    return {
      status: 'loading',
      loadError: null,
      known: [],
      role: null,
      entries: [],
      form: formOf(EMPTY),
      errors: {},
      formError: null,
      busy: false,
      notice: null,
      confirm: null,
    };
  }

  componentDidMount() {
    this.load();
  }

  componentDidUpdate(previous) {
    if (this.pendingFocus && !this.state.busy) {
      this.focusField(this.pendingFocus);
      this.pendingFocus = null;
    }
    // A role just created is already shown; only its URL changed.
    if (previous.id !== this.props.id && this.props.id !== this.created) {
      this.setState(this.initialState());
      this.load();
    }
  }

  componentWillUnmount() {
    this.request += 1;
  }

  isNew() {
    return this.props.id === 'new';
  }

  async load() {
    const request = ++this.request;
    try {
      if (this.isNew()) {
        const data = await run('KnownPermissions');
        if (request === this.request) {
          this.setState({ status: 'ready', known: data.knownPermissions, entries: checklistEntries(data.knownPermissions, []) });
        }
        return;
      }
      const data = await run('Role', { id: this.props.id });
      if (request !== this.request) {
        return;
      }
      if (!data.role) {
        this.setState({ status: 'missing' });
        return;
      }
      this.show(data.role, data.knownPermissions);
    } catch (error) {
      if (request === this.request) {
        this.setState({ status: 'error', loadError: error });
      }
    }
  }

  /// Shows `role` as saved: the form holds it, and the checklist lists
  /// every permission it holds.
  show(role, known = this.state.known) {
    this.setState({
      status: 'ready',
      known,
      role,
      entries: checklistEntries(known, role.permissions),
      form: formOf(role),
      errors: {},
      formError: null,
    });
  }

  edit(changes) {
    this.setState(({ form }) => ({ form: { ...form, ...changes }, notice: null }));
  }

  toggle = (permission, checked) => {
    const permissions = new Set(this.state.form.permissions);
    if (checked) {
      permissions.add(permission);
    } else {
      permissions.delete(permission);
    }
    this.edit({ permissions });
  };

  discard = () => {
    this.setState(({ role }) => ({ form: formOf(role || EMPTY), errors: {}, formError: null, notice: null }));
  };

  save = async (event) => {
    event.preventDefault();
    const { form } = this.state;
    const input = {
      name: form.name.trim(),
      // An empty description is none (`null` clears it).
      description: form.description.trim() || null,
      permissions: [...form.permissions].sort(),
      isDefault: form.isDefault,
    };
    this.setState({ busy: true, errors: {}, formError: null, notice: null });
    try {
      if (this.isNew()) {
        const data = await run('CreateRole', { input });
        this.created = data.createRole.id;
        this.show(data.createRole);
        this.setState({ busy: false, notice: t('roles.edit.created') });
        navigate(`roles/${encodeURIComponent(data.createRole.id)}`, null, { replace: true });
      } else {
        const data = await run('UpdateRole', { id: this.state.role.id, input });
        this.show(data.updateRole);
        this.setState({ busy: false, notice: t('roles.edit.saved') });
      }
    } catch (error) {
      const message = errorMessage(error, 'roles');
      if (FIELDS.includes(error.field)) {
        // Focus moves to the field once it is enabled again (componentDidUpdate).
        this.pendingFocus = error.field;
        this.setState({ busy: false, errors: { [error.field]: message } });
      } else {
        this.setState({ busy: false, formError: message });
      }
    }
  };

  focusField(field) {
    const element = this.formElement && this.formElement.querySelector(`[data-field="${field}"]`);
    if (element) {
      element.focus();
    }
  }

  openDelete = async () => {
    const mayCount = this.props.permissions.has('users:read');
    this.setState({ confirm: { count: null, counting: mayCount, busy: false, error: null } });
    if (!mayCount) {
      return;
    }
    try {
      const data = await run('RoleHolderCount', { id: this.state.role.id });
      const holders = data.role ? data.role.users : { totalCount: 0, totalCountCapped: false };
      this.updateConfirm({ count: holders.totalCount, capped: holders.totalCountCapped, counting: false });
    } catch {
      // The text then says what happens without the number.
      this.updateConfirm({ counting: false });
    }
  };

  updateConfirm(changes) {
    this.setState(({ confirm }) => (confirm ? { confirm: { ...confirm, ...changes } } : null));
  }

  confirmDelete = async () => {
    const { role } = this.state;
    this.updateConfirm({ busy: true, error: null });
    try {
      await run('DeleteRole', { id: role.id });
      flash(t('roles.deleted', { name: role.name }));
      navigate('roles');
    } catch (error) {
      this.updateConfirm({ busy: false, error: errorMessage(error, 'roles') });
    }
  };

  render({ permissions, params }, state) {
    const { status, loadError, role } = state;
    const back = html`<p class="back"><a href=${href('roles')}>${t('roles.back')}</a></p>`;
    if (status === 'loading') {
      return html`<section>${back}<p class="loading" role="status">${t('app.loading')}</p></section>`;
    }
    if (status === 'missing') {
      return html`<section>${back}<h1>${t('roles.missing.title')}</h1><p>${t('roles.missing.text')}</p></section>`;
    }
    if (status === 'error') {
      return html`<section>${back}<p class="error" role="alert">${errorMessage(loadError, 'roles')}</p></section>`;
    }
    const canWrite = permissions.has('roles:write');
    return html`
      <section class="role">
        ${back}
        <h1>
          ${role ? role.name : t('roles.new')}
          ${role && role.isDefault && html` <span class="badge default">${t('roles.default')}</span>`}
        </h1>
        ${role && html`<p class="meta">${t('roles.edit.dates', { created: formatDateTime(role.createdAt), updated: formatDateTime(role.updatedAt) })}</p>`}
        ${!canWrite && html`<p class="notice" id="read-only">${t('roles.edit.readOnly')}</p>`}
        ${this.form(canWrite, state)}
        ${role && permissions.has('users:read') &&
        html`<${RoleHolders} role=${role} params=${params} canRemove=${permissions.has('users:write')} />`}
        ${this.deleteDialog(state)}
      </section>
    `;
  }

  form(canWrite, { form, entries, errors, formError, busy, notice, role }) {
    const dirty = !sameForm(form, formOf(role || EMPTY));
    const invalid = (field) => (errors[field] ? 'true' : undefined);
    const describedBy = (field, help) =>
      [errors[field] ? `role-${field}-error` : null, help].filter(Boolean).join(' ') || undefined;
    const fieldError = (field) =>
      errors[field] && html`<p class="error" id=${`role-${field}-error`} role="alert">${errors[field]}</p>`;
    return html`
      <form id="role-form" class="role-form" novalidate onSubmit=${this.save}
        ref=${(element) => (this.formElement = element)}>
        <fieldset class="plain" disabled=${!canWrite || busy}>
          <div class="field">
            <label for="role-name">${t('roles.field.name')}</label>
            <input id="role-name" data-field="name" autocomplete="off" aria-required="true"
              value=${form.name} aria-invalid=${invalid('name')} aria-describedby=${describedBy('name')}
              onInput=${(e) => this.edit({ name: e.currentTarget.value })} />
            ${fieldError('name')}
          </div>
          <div class="field">
            <label for="role-description">${t('roles.field.description')}</label>
            <textarea id="role-description" data-field="description" rows="2" value=${form.description}
              aria-invalid=${invalid('description')} aria-describedby=${describedBy('description')}
              onInput=${(e) => this.edit({ description: e.currentTarget.value })}></textarea>
            ${fieldError('description')}
          </div>
          <${PermissionChecklist} entries=${entries} checked=${form.permissions} onToggle=${this.toggle}
            error=${errors.permissions} />
          <div class="field">
            <label class="check switch">
              <input id="role-default" data-field="isDefault" type="checkbox" role="switch" checked=${form.isDefault}
                aria-invalid=${invalid('isDefault')} aria-describedby=${describedBy('isDefault', 'role-default-help')}
                onChange=${(e) => this.edit({ isDefault: e.currentTarget.checked })} />
              ${t('roles.field.isDefault')}
            </label>
            <p class="help" id="role-default-help">${t('roles.field.isDefaultHelp')}</p>
            ${fieldError('isDefault')}
          </div>
        </fieldset>
        ${formError && html`<p class="error" id="role-form-error" role="alert">${formError}</p>`}
        <p class="notice-line" role="status">${notice || ''}</p>
        ${canWrite &&
        html`<div class="actions form-actions">
          ${role && html`<button type="button" class="danger" id="role-delete" onClick=${this.openDelete} disabled=${busy}>
            ${t('roles.delete.button')}
          </button>`}
          <span class="spacer"></span>
          <button type="button" class="secondary" id="role-discard" onClick=${this.discard} disabled=${!dirty || busy}>
            ${t('roles.edit.discard')}
          </button>
          <button type="submit" id="role-save" disabled=${!dirty || busy} aria-busy=${busy ? 'true' : undefined}>
            ${role ? t('roles.edit.save') : t('roles.edit.create')}
          </button>
        </div>`}
      </form>
    `;
  }

  deleteDialog({ confirm, role }) {
    if (!role) {
      return null;
    }
    let text = t('roles.delete.unknownCount');
    if (confirm && confirm.counting) {
      text = t('roles.delete.counting');
    } else if (confirm && confirm.count === 0) {
      text = t('roles.delete.noHolder');
    } else if (confirm && confirm.count !== null) {
      const key = confirm.capped ? 'roles.delete.holdersCapped' : 'roles.delete.holders';
      text = t(key, { count: confirm.count });
    }
    return html`
      <${ConfirmDialog} id="delete-role" open=${Boolean(confirm)} title=${t('roles.delete.title', { name: role.name })}
        text=${text} confirmLabel=${t('roles.delete.confirm')} danger=${true}
        busy=${Boolean(confirm && (confirm.busy || confirm.counting))} error=${confirm && confirm.error}
        onConfirm=${this.confirmDelete} onCancel=${() => this.setState({ confirm: null })} />
    `;
  }
}

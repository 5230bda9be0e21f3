// The users list's filter builder: the conditions in use as removable
// chips, and a form adding one condition at a time (they all must hold).
import { RolePicker } from '../components/role-picker.js';
import { errorMessage } from '../errors.js';
import { formatDate, t } from '../i18n.js';
import { Component, html } from '../ui.js';
import {
  DATA_OPS,
  DATE_KINDS,
  encodeCondition,
  KINDS,
  MAX_CONDITIONS,
  pathFromInput,
  PROVIDER_OPS,
  ROLE_OPS,
  takesText,
  YES_NO,
} from '../user-filter.js';

function opsOf(kind) {
  switch (kind) {
    case 'suspended':
    case 'password':
      return YES_NO;
    case 'roles':
      return ROLE_OPS;
    case 'provider':
      return PROVIDER_OPS;
    case 'data':
      return DATA_OPS;
    case 'signedIn':
      return ['between', 'never'];
    default:
      return ['between'];
  }
}

function opLabel(kind, op) {
  if (kind === 'suspended' || kind === 'password') {
    return t(`users.filter.${op}`);
  }
  if (DATE_KINDS.includes(kind)) {
    return t(`users.filter.date.${op}`);
  }
  return t(`users.filter.${kind}.${op}`);
}

function dateRange({ from, to }) {
  if (from && to) {
    return t('users.filter.date.range', { from: formatDate(from), to: formatDate(to) });
  }
  return from
    ? t('users.filter.date.from', { from: formatDate(from) })
    : t('users.filter.date.to', { to: formatDate(to) });
}

/// A condition in words, for its chip. `roleNames`: id -> name, when known.
export function describe(condition, roleNames) {
  const { kind, op } = condition;
  let text;
  if (kind === 'roles') {
    const names = condition.ids.map((id) => roleNames.get(id) || id).join(', ');
    text = `${opLabel(kind, op)} ${names}`;
  } else if (kind === 'data') {
    const value = takesText(kind, op) ? ` ${condition.text}` : '';
    text = `${condition.path.join('.')} ${opLabel(kind, op)}${value}`;
  } else if (DATE_KINDS.includes(kind) && op === 'between') {
    text = dateRange(condition);
  } else {
    text = takesText(kind, op) ? `${opLabel(kind, op)} ${condition.text}` : opLabel(kind, op);
  }
  return t('users.filter.chip', { kind: t(`users.filter.kind.${kind}`), condition: text });
}

const EMPTY_FORM = { text: '', path: '', from: '', to: '', roleIds: [], formError: null };

/// Props: `conditions`, `onChange(conditions)`, `roles` (`[{ id, name }]`
/// or null), `rolesError`, `canPickRoles`, `onNeedRoles()`, `error` (the
/// API's refusal of the filter, if any).
export class UserFilters extends Component {
  state = { kind: KINDS[0], op: opsOf(KINDS[0])[0], ...EMPTY_FORM };

  choose = (event) => {
    const kind = event.currentTarget.value;
    this.setState({ kind, op: opsOf(kind)[0], ...EMPTY_FORM });
    if (kind === 'roles') {
      this.props.onNeedRoles();
    }
  };

  field(name) {
    return (event) => this.setState({ [name]: event.currentTarget.value, formError: null });
  }

  /// The condition the form describes, or an error key.
  built() {
    const { kind, op, text, path, from, to, roleIds } = this.state;
    switch (kind) {
      case 'suspended':
      case 'password':
        return { condition: { kind, op } };
      case 'roles':
        return roleIds.length ? { condition: { kind, op, ids: roleIds } } : { error: 'users.filter.needRole' };
      case 'provider':
        if (!takesText(kind, op)) {
          return { condition: { kind, op } };
        }
        return text.trim() ? { condition: { kind, op, text: text.trim() } } : { error: 'users.filter.needText' };
      case 'data': {
        const keys = pathFromInput(path);
        if (!keys) {
          return { error: 'users.filter.needPath' };
        }
        if (!takesText(kind, op)) {
          return { condition: { kind, op, path: keys } };
        }
        return text !== '' ? { condition: { kind, op, path: keys, text } } : { error: 'users.filter.needText' };
      }
      default:
        if (op === 'never') {
          return { condition: { kind, op } };
        }
        if (!from && !to) {
          return { error: 'users.filter.needDate' };
        }
        if (from && to && from > to) {
          return { error: 'users.filter.badRange' };
        }
        return { condition: { kind, op, from, to } };
    }
  }

  add = (event) => {
    event.preventDefault();
    const { conditions, onChange } = this.props;
    const { condition, error } = this.built();
    if (error) {
      this.setState({ formError: t(error) });
      return;
    }
    if (conditions.length >= MAX_CONDITIONS) {
      this.setState({ formError: t('users.filter.tooMany', { count: MAX_CONDITIONS }) });
      return;
    }
    const key = encodeCondition(condition);
    if (!conditions.some((other) => encodeCondition(other) === key)) {
      onChange([...conditions, condition]);
    }
    this.setState({ ...EMPTY_FORM });
  };

  remove(index) {
    const { conditions, onChange } = this.props;
    onChange(conditions.filter((_, at) => at !== index));
    // Focus stays in the chips (or goes to the form), not lost to <body>.
    setTimeout(() => {
      const buttons = this.section ? this.section.querySelectorAll('.chip-remove') : [];
      const target = buttons.length ? buttons[Math.min(index, buttons.length - 1)] : null;
      (target || this.section?.querySelector('summary'))?.focus();
    });
  }

  render({ conditions, roles, rolesError, canPickRoles, error, onChange }, state) {
    const roleNames = new Map((roles || []).map((role) => [role.id, role.name]));
    const kinds = KINDS.filter((kind) => kind !== 'roles' || canPickRoles);
    return html`
      <section class="filters" aria-labelledby="filters-title" ref=${(element) => (this.section = element)}>
        <h2 id="filters-title" class="visually-hidden">${t('users.filter.title')}</h2>
        ${conditions.length > 0 &&
        html`
          <div class="chips-row">
            <ul class="chips" aria-label=${t('users.filter.inUse')}>
              ${conditions.map((condition, index) => {
                const text = describe(condition, roleNames);
                return html`
                  <li class="chip" key=${encodeCondition(condition)}>
                    <span>${text}</span>
                    <button type="button" class="chip-remove" aria-label=${t('users.filter.remove', { condition: text })}
                      title=${t('users.filter.remove', { condition: text })} onClick=${() => this.remove(index)}>×</button>
                  </li>
                `;
              })}
            </ul>
            ${conditions.length > 1 &&
            html`<button type="button" id="clear-filters" class="secondary" onClick=${() => onChange([])}>
              ${t('users.filter.clear')}
            </button>`}
          </div>
        `}
        ${error && html`<p id="filter-error" class="error" role="alert">${errorMessage(error, 'userFilter')}</p>`}
        <details class="filter-builder" id="filter-builder">
          <summary>${t('users.filter.add')}</summary>
          <form id="filter-form" onSubmit=${this.add} aria-describedby=${state.formError ? 'filter-form-error' : undefined}>
            <div class="filter-fields">
              <div class="field">
                <label for="filter-kind">${t('users.filter.kind')}</label>
                <select id="filter-kind" value=${state.kind} onChange=${this.choose}>
                  ${kinds.map((kind) => html`<option value=${kind}>${t(`users.filter.kind.${kind}`)}</option>`)}
                </select>
              </div>
              ${state.kind === 'data' && this.pathField(state)}
              ${this.opField(state)}
              ${this.valueFields(state, roles, rolesError)}
              <button type="submit" id="filter-add">${t('users.filter.addButton')}</button>
            </div>
            ${state.formError && html`<p id="filter-form-error" class="error" role="alert">${state.formError}</p>`}
          </form>
        </details>
      </section>
    `;
  }

  pathField({ path }) {
    return html`
      <div class="field">
        <label for="filter-path">${t('users.filter.path')}</label>
        <input id="filter-path" value=${path} onInput=${this.field('path')} autocomplete="off" spellcheck="false"
          aria-describedby="filter-path-help" />
        <span id="filter-path-help" class="help">${t('users.filter.pathHelp')}</span>
      </div>
    `;
  }

  opField({ kind, op }) {
    const ops = opsOf(kind);
    if (ops.length < 2) {
      return null;
    }
    const label = kind === 'suspended' || kind === 'password' ? t('users.filter.value') : t('users.filter.op');
    return html`
      <div class="field">
        <label for="filter-op">${label}</label>
        <select id="filter-op" value=${op} onChange=${this.field('op')}>
          ${ops.map((one) => html`<option value=${one}>${opLabel(kind, one)}</option>`)}
        </select>
      </div>
    `;
  }

  valueFields(state, roles, rolesError) {
    const { kind, op, text, from, to, roleIds } = state;
    if (kind === 'roles') {
      return html`<${RolePicker} id="filter-roles" legend=${t('users.filter.kind.roles')} roles=${roles}
        error=${rolesError} selected=${roleIds}
        onChange=${(ids) => this.setState({ roleIds: ids, formError: null })} />`;
    }
    if (takesText(kind, op)) {
      const help = kind === 'data' && op !== 'contains';
      return html`
        <div class="field">
          <label for="filter-text">${t(kind === 'provider' ? 'users.filter.provider' : 'users.filter.value')}</label>
          <input id="filter-text" value=${text} onInput=${this.field('text')} autocomplete="off" spellcheck="false"
            maxlength="256" aria-describedby=${help ? 'filter-text-help' : undefined} />
          ${help && html`<span id="filter-text-help" class="help">${t('users.filter.valueHelp')}</span>`}
        </div>
      `;
    }
    if (DATE_KINDS.includes(kind) && op === 'between') {
      return html`
        <div class="field">
          <label for="filter-from">${t('users.filter.from')}</label>
          <input id="filter-from" type="date" value=${from} onInput=${this.field('from')} />
        </div>
        <div class="field">
          <label for="filter-to">${t('users.filter.to')}</label>
          <input id="filter-to" type="date" value=${to} onInput=${this.field('to')} />
        </div>
      `;
    }
    return null;
  }
}

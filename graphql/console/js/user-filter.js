// The users list's filter builder model: a list of conditions that must all
// hold. In the URL each is one `f` parameter, `kind:op[:value]`, read back
// strictly: a part that does not parse (a hand-edited or truncated URL) is
// dropped rather than sent, so the page always opens.

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/// More conditions than a person builds by hand; the API allows 256.
export const MAX_CONDITIONS = 20;
const MAX_TEXT = 256;
const MAX_ROLES = 100;

export const YES_NO = ['yes', 'no'];
export const ROLE_OPS = ['any', 'all', 'none'];
/// `linked` / `unlinked`: some identity, or none at all.
export const PROVIDER_OPS = ['eq', 'ne', 'contains', 'regex', 'linked', 'unlinked'];
/// `between` two days (either may be open); `never`: no value (never signed in).
export const DATE_KINDS = ['created', 'updated', 'signedIn'];
export const DATA_OPS = ['eq', 'ne', 'contains', 'exists', 'missing'];
export const KINDS = ['suspended', 'password', 'roles', 'provider', ...DATE_KINDS, 'data'];

const DATE_FIELDS = { created: 'createdAt', updated: 'updatedAt', signedIn: 'lastSignInAt' };

/// Whether an operator needs a typed value.
export function takesText(kind, op) {
  if (kind === 'provider') {
    return op !== 'linked' && op !== 'unlinked';
  }
  if (kind === 'data') {
    return op !== 'exists' && op !== 'missing';
  }
  return false;
}

function text(value) {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT ? value : null;
}

/// A `YYYY-MM-DD` that names a real day, or '' for an open bound.
function day(value) {
  if (value === '') {
    return '';
  }
  const match = DAY.exec(value);
  if (!match) {
    return null;
  }
  const [, year, month, date] = match.map(Number);
  const parsed = new Date(year, month - 1, date);
  return parsed.getFullYear() === year && parsed.getMonth() === month - 1 && parsed.getDate() === date
    ? value
    : null;
}

/// A custom-data path in the URL: keys joined by dots, each key
/// percent-encoded so that a dot or colon inside a key survives.
function encodePath(path) {
  return path.map((key) => encodeURIComponent(key).replace(/\./g, '%2E')).join('.');
}

/// Keys are only required to be there: their number and length are the
/// API's to judge, and its refusal is shown beside the filters.
function decodePath(raw) {
  try {
    const path = raw.split('.').map(decodeURIComponent);
    return path.every((key) => key.length > 0) ? path : null;
  } catch {
    return null;
  }
}

/// A path as a person types it: keys separated by dots.
export function pathFromInput(raw) {
  const path = raw.split('.').map((key) => key.trim());
  return path.every((key) => key.length > 0) ? path : null;
}

/// The condition as one URL parameter value.
export function encodeCondition(condition) {
  const { kind, op } = condition;
  switch (kind) {
    case 'roles':
      return `${kind}:${op}:${condition.ids.join(',')}`;
    case 'provider':
      return takesText(kind, op) ? `${kind}:${op}:${condition.text}` : `${kind}:${op}`;
    case 'data': {
      const path = encodePath(condition.path);
      return takesText(kind, op) ? `${kind}:${op}:${path}:${condition.text}` : `${kind}:${op}:${path}`;
    }
    default:
      if (DATE_KINDS.includes(kind) && op === 'between') {
        return `${kind}:${op}:${condition.from}..${condition.to}`;
      }
      return `${kind}:${op}`;
  }
}

/// The condition a URL parameter value holds, or null when it is not one.
export function decodeCondition(raw) {
  const [kind, op, ...rest] = String(raw).split(':');
  const value = rest.length ? rest.join(':') : null;
  switch (kind) {
    case 'suspended':
    case 'password':
      return YES_NO.includes(op) && value === null ? { kind, op } : null;
    case 'roles': {
      const ids = value ? value.split(',') : [];
      const valid = ROLE_OPS.includes(op) && ids.length > 0 && ids.length <= MAX_ROLES && ids.every((id) => ID.test(id));
      return valid ? { kind, op, ids: [...new Set(ids)] } : null;
    }
    case 'provider':
      if (!PROVIDER_OPS.includes(op)) {
        return null;
      }
      if (!takesText(kind, op)) {
        return value === null ? { kind, op } : null;
      }
      return text(value) ? { kind, op, text: value } : null;
    case 'data': {
      if (!DATA_OPS.includes(op) || value === null) {
        return null;
      }
      const [rawPath, ...typed] = value.split(':');
      const path = decodePath(rawPath);
      if (!path) {
        return null;
      }
      if (!takesText(kind, op)) {
        return typed.length === 0 ? { kind, op, path } : null;
      }
      const typedText = typed.join(':');
      return typed.length && text(typedText) ? { kind, op, path, text: typedText } : null;
    }
    default:
      if (!DATE_KINDS.includes(kind)) {
        return null;
      }
      if (op === 'never' && kind === 'signedIn' && value === null) {
        return { kind, op };
      }
      if (op === 'between' && value !== null) {
        const bounds = value.split('..');
        const from = bounds.length === 2 ? day(bounds[0]) : null;
        const to = bounds.length === 2 ? day(bounds[1]) : null;
        if (from === null || to === null || (from === '' && to === '')) {
          return null;
        }
        return { kind, op, from, to };
      }
      return null;
  }
}

/// The valid conditions among the URL's `f` parameters, without repeats.
export function conditionsFromParams(params) {
  const seen = new Set();
  const conditions = [];
  for (const raw of params.getAll('f')) {
    const condition = decodeCondition(raw);
    if (!condition) {
      continue;
    }
    const key = encodeCondition(condition);
    if (!seen.has(key) && conditions.length < MAX_CONDITIONS) {
      seen.add(key);
      conditions.push(condition);
    }
  }
  return conditions;
}

/// A typed value for an equality on custom data: JSON when it reads as
/// JSON (`42`, `true`, `"42"`, `null`), otherwise the text itself.
function jsonValue(typed) {
  try {
    return JSON.parse(typed);
  } catch {
    return typed;
  }
}

/// Local midnight starting `day` (the reader's days, not UTC's), plus
/// `offset` days.
function startOf(day, offset = 0) {
  const [, year, month, date] = DAY.exec(day).map(Number);
  return new Date(year, month - 1, date + offset).toISOString();
}

/// One condition as a UserFilter.
function userFilterOf(condition) {
  const { kind, op } = condition;
  switch (kind) {
    case 'suspended':
      return { isSuspended: op === 'yes' };
    case 'password':
      return { hasPassword: op === 'yes' };
    case 'roles':
      return { roles: { [op]: condition.ids } };
    case 'provider':
      if (op === 'linked' || op === 'unlinked') {
        return { identityProvider: { isNull: op === 'unlinked' } };
      }
      return { identityProvider: { [op]: condition.text } };
    case 'data': {
      const test = { path: condition.path };
      if (op === 'exists' || op === 'missing') {
        test.exists = op === 'exists';
      } else if (op === 'contains') {
        test.contains = condition.text;
      } else {
        test[op] = jsonValue(condition.text);
      }
      return { customData: [test] };
    }
    default: {
      const field = DATE_FIELDS[kind];
      if (op === 'never') {
        return { [field]: { isNull: true } };
      }
      const bounds = {};
      if (condition.from) {
        bounds.gte = startOf(condition.from);
      }
      // The last day is included: up to the start of the next one.
      if (condition.to) {
        bounds.lt = startOf(condition.to, 1);
      }
      return { [field]: bounds };
    }
  }
}

/// The UserFilter for all `conditions` (null for none).
export function userFilter(conditions) {
  if (conditions.length === 0) {
    return null;
  }
  const parts = conditions.map(userFilterOf);
  return parts.length === 1 ? parts[0] : { and: parts };
}

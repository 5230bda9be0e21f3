// The audit log's state: read from and written to the URL's query string
// (so a filtered view can be bookmarked, shared and reloaded), and turned
// into the variables of the AuditLog operation.
export const PAGE_SIZE = 50;
export const RESULTS = ['SUCCESS', 'ERROR'];
/// Preset ranges reach back this far from the moment the view was opened.
export const PRESETS = {
  hour: 60 * 60 * 1000,
  day: 24 * 60 * 60 * 1000,
  week: 7 * 24 * 60 * 60 * 1000,
  month: 30 * 24 * 60 * 60 * 1000,
};
export const RANGES = ['', ...Object.keys(PRESETS), 'custom'];

/// `key`, `result`, `user`, `actor`: the filters; `range`: a preset, or
/// `custom` with `from` / `to` (datetime-local values, in the reader's time
/// zone); `asof`: the instant (ms) a preset counts back from, fixed once
/// paging starts, since a cursor belongs to the exact filter it was made
/// for; `after`: the cursor of the page shown; `newer`: the cursors of the
/// newer pages walked through, newest first, so that "Newer" survives a
/// reload.
export function viewFromParams(params) {
  const range = RANGES.includes(params.get('range')) ? params.get('range') : '';
  const result = params.get('result');
  const asof = Number(params.get('asof'));
  const after = params.get('after') || null;
  return {
    key: params.get('key') || '',
    result: RESULTS.includes(result) ? result : '',
    user: params.get('user') || '',
    actor: params.get('actor') || '',
    range,
    from: range === 'custom' ? params.get('from') || '' : '',
    to: range === 'custom' ? params.get('to') || '' : '',
    asof: range in PRESETS && Number.isFinite(asof) && asof > 0 ? asof : null,
    after,
    newer: after ? (params.get('newer') || '').split(' ').filter(Boolean) : [],
  };
}

/// The query string of `view`, leaving out what is empty.
export function paramsFromView(view) {
  const params = new URLSearchParams();
  const put = (name, value) => {
    if (value !== '' && value !== null && value !== undefined) {
      params.set(name, String(value));
    }
  };
  put('key', view.key);
  put('result', view.result);
  put('user', view.user);
  put('actor', view.actor);
  put('range', view.range);
  if (view.range === 'custom') {
    put('from', view.from);
    put('to', view.to);
  }
  if (view.range in PRESETS) {
    put('asof', view.asof);
  }
  put('after', view.after);
  if (view.after && view.newer.length > 0) {
    // Cursors are base64url: a space never occurs in one.
    params.set('newer', view.newer.join(' '));
  }
  return params;
}

/// A new filter starts again from the newest entry, now.
export function withFilter(view, changes) {
  return { ...view, ...changes, asof: null, after: null, newer: [] };
}

/// The view one page older: `cursor` is the shown page's end cursor, and
/// `asof` the instant the shown page's preset was counted from.
export function olderPage(view, cursor, asof) {
  return {
    ...view,
    asof: view.range in PRESETS ? asof : null,
    after: cursor,
    newer: view.after ? [view.after, ...view.newer] : [],
  };
}

/// The view one page newer: back to the previous cursor, or the first page.
export function newerPage(view) {
  const [previous = null, ...rest] = view.newer;
  return { ...view, after: previous, newer: previous ? rest : [] };
}

/// A datetime-local value (the reader's time zone) as RFC 3339; null when
/// empty or not a date.
function instant(local) {
  if (!local) {
    return null;
  }
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/// The AuditLog variables of `view`; `now` (ms) anchors a preset range
/// when the view has not fixed one yet. Returns `{ variables, asof }`.
export function variablesOf(view, now) {
  const filter = {};
  if (view.key) {
    filter.key = view.key;
  }
  if (view.result) {
    filter.result = view.result;
  }
  if (view.user) {
    filter.userId = view.user;
  }
  if (view.actor) {
    filter.actorId = view.actor;
  }
  let asof = null;
  if (view.range in PRESETS) {
    asof = view.asof ?? now;
    filter.createdAt = { gte: new Date(asof - PRESETS[view.range]).toISOString() };
  } else if (view.range === 'custom') {
    const gte = instant(view.from);
    const lt = instant(view.to);
    if (gte || lt) {
      filter.createdAt = { gte, lt };
    }
  }
  return { variables: { filter, first: PAGE_SIZE, after: view.after }, asof };
}

/// How a user is named in the log: name, else username, else email, else id.
export function displayName(user) {
  return user.name || user.username || user.primaryEmail || user.id;
}

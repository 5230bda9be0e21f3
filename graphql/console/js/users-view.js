// The users list's state: read from and written to the URL's query string
// (so a view can be bookmarked and shared), and turned into the variables
// of the Users operation.
import { conditionsFromParams, encodeCondition, userFilter } from './user-filter.js';

export const PAGE_SIZES = [20, 50, 100];
const TEXT_FIELDS = ['USERNAME', 'NAME', 'PRIMARY_EMAIL'];
const SORT_FIELDS = [...TEXT_FIELDS, 'CREATED_AT', 'UPDATED_AT', 'LAST_SIGN_IN_AT'];
// The API's own default order.
const DEFAULT_SORT = { field: 'CREATED_AT', direction: 'DESC' };

/// `q`: the simple search; `sort`: FIELD.DIRECTION; `size`: page size;
/// `after` / `before`: the cursor of the page shown; `count=1`: show the total;
/// `f` (repeated): the filter's conditions (see user-filter.js).
export function viewFromParams(params) {
  const [field, direction] = (params.get('sort') || '').split('.');
  const sort =
    SORT_FIELDS.includes(field) && (direction === 'ASC' || direction === 'DESC')
      ? { field, direction }
      : DEFAULT_SORT;
  const size = Number(params.get('size'));
  const after = params.get('after') || null;
  return {
    search: params.get('q') || '',
    sort,
    size: PAGE_SIZES.includes(size) ? size : PAGE_SIZES[0],
    after,
    before: after ? null : params.get('before') || null,
    count: params.get('count') === '1',
    filter: conditionsFromParams(params),
  };
}

/// The query string of `view`, leaving out what is the default.
export function paramsFromView(view) {
  const params = new URLSearchParams();
  if (view.search) {
    params.set('q', view.search);
  }
  if (view.sort.field !== DEFAULT_SORT.field || view.sort.direction !== DEFAULT_SORT.direction) {
    params.set('sort', `${view.sort.field}.${view.sort.direction}`);
  }
  if (view.size !== PAGE_SIZES[0]) {
    params.set('size', String(view.size));
  }
  if (view.after) {
    params.set('after', view.after);
  } else if (view.before) {
    params.set('before', view.before);
  }
  if (view.count) {
    params.set('count', '1');
  }
  for (const condition of view.filter) {
    params.append('f', encodeCondition(condition));
  }
  return params;
}

export function variablesOf(view) {
  const variables = {
    search: view.search || null,
    filter: userFilter(view.filter),
    orderBy: [view.sort],
    withCount: view.count,
  };
  if (view.before) {
    variables.last = view.size;
    variables.before = view.before;
  } else {
    variables.first = view.size;
    variables.after = view.after;
  }
  return variables;
}

/// The order after choosing `field`: the same field flips direction; a new
/// one starts A to Z for text and newest first for dates.
export function nextSort(sort, field) {
  if (sort.field === field) {
    return { field, direction: sort.direction === 'ASC' ? 'DESC' : 'ASC' };
  }
  return { field, direction: TEXT_FIELDS.includes(field) ? 'ASC' : 'DESC' };
}

// Client-side routes under the console's base URL (`<base href>`), with
// each view's state in the query string so that any view can be
// bookmarked, shared and reloaded.
const listeners = new Set();

function basePath() {
  return new URL(document.baseURI).pathname;
}

/// The current route: `path` relative to the console ('' for its home,
/// 'users', ...) and the query parameters.
export function currentRoute() {
  const base = basePath();
  const raw = location.pathname.startsWith(base) ? location.pathname.slice(base.length) : '';
  return {
    path: decodeURIComponent(raw).replace(/\/+$/, ''),
    params: new URLSearchParams(location.search),
  };
}

/// The URL of a console route, for links.
export function href(path, params) {
  const url = new URL(path, document.baseURI);
  const query = params ? params.toString() : '';
  return url.pathname + (query ? `?${query}` : '');
}

/// Goes to a route; `replace` rewrites the current history entry instead
/// (for changes as small as a keystroke).
export function navigate(path, params, { replace = false } = {}) {
  const target = href(path, params);
  if (target === location.pathname + location.search) {
    return;
  }
  history[replace ? 'replaceState' : 'pushState'](null, '', target);
  notify();
}

/// Calls `listener` after each change of route; returns the unsubscribe.
export function onRouteChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify() {
  listeners.forEach((listener) => listener());
}

window.addEventListener('popstate', notify);

// Links within the console change the view without reloading the page.
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0) {
    return;
  }
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
    return;
  }
  const link = event.target.closest && event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download')) {
    return;
  }
  const url = new URL(link.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(basePath())) {
    return;
  }
  event.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) {
    history.pushState(null, '', url.pathname + url.search);
    notify();
  }
});

// Client-side routes under the console's base URL (`<base href>`), with
// each view's state in the query string so that any view can be
// bookmarked, shared and reloaded.
const listeners = new Set();
// Pages that may refuse to be left (unsaved changes): each is asked, with
// the URL about to be shown, and resolves to whether to go on.
const leaveGuards = new Set();
// The URL on screen, to return to when a guard refuses Back or Forward.
let shown = location.pathname + location.search;
let asking = false;

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
  whenLeaving(target, () => {
    history[replace ? 'replaceState' : 'pushState'](null, '', target);
    notify();
  });
}

/// Lets a page veto or confirm a route change: `guard(target)` (the URL
/// about to be shown, null when leaving the console) returns true to let
/// it happen, or a promise of whether to (after asking the person).
/// Returns the removal.
export function guardLeaving(guard) {
  leaveGuards.add(guard);
  return () => leaveGuards.delete(guard);
}

function ask(target) {
  return [...leaveGuards].map((guard) => guard(target));
}

/// Resolves to whether every guard lets the console be left (to sign out).
export async function confirmLeaving() {
  return (await Promise.all(ask(null))).every(Boolean);
}

/// Runs `go` once the guards agree to leave for `target`: at once when
/// none objects (typing in a search box needs that) or only the query
/// string changes (the page stays), else after asking; `hold` runs
/// meanwhile (to put back a URL the browser already changed).
function whenLeaving(target, go, hold = () => {}) {
  if (asking) {
    hold();
    return;
  }
  const samePage = new URL(target, location.origin).pathname === new URL(shown, location.origin).pathname;
  const answers = samePage ? [] : ask(target);
  if (answers.every((answer) => answer === true)) {
    go();
    return;
  }
  hold();
  asking = true;
  Promise.all(answers)
    .then((oks) => oks.every(Boolean) && go())
    .finally(() => {
      asking = false;
    });
}

/// Calls `listener` after each change of route; returns the unsubscribe.
export function onRouteChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function notify() {
  shown = location.pathname + location.search;
  listeners.forEach((listener) => listener());
}

window.addEventListener('popstate', () => {
  // The browser has already moved. If a guard asks, the page's URL is put
  // back meanwhile, and the browser sent where Back or Forward pointed
  // only if the person agrees.
  const target = location.pathname + location.search;
  let held = false;
  whenLeaving(
    target,
    () => {
      if (held) {
        history.pushState(null, '', target);
      }
      notify();
    },
    () => {
      held = true;
      history.pushState(null, '', shown);
    },
  );
});

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
  const target = url.pathname + url.search;
  if (target !== location.pathname + location.search) {
    whenLeaving(target, () => {
      history.pushState(null, '', target);
      notify();
    });
  }
});

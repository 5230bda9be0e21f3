// A one-shot message for the next page: an action that leaves its page
// (deleting what the page showed) says what it did on the page it leads to.
let pending = null;

export function flash(message) {
  pending = message;
}

/// The message left for this page, once.
export function takeFlash() {
  const message = pending;
  pending = null;
  return message;
}

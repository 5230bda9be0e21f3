// A user's picture. The console's Content-Security-Policy lets images come
// from its own origin only (`default-src 'self'`), and an image from
// elsewhere would tell that site who looks at which user and when: so only
// a same-origin (or `data:`) avatar is shown as an <img>, any other as the
// user's initials.
import { html } from '../../ui.js';

export function displayName(user) {
  return user.name || user.username || user.primaryEmail || user.primaryPhone || user.id;
}

function initials(user) {
  const words = displayName(user).split(/[\s@._-]+/).filter(Boolean);
  // First and last: "Ada King Lovelace" is AL.
  const ends = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return ends.map((word) => Array.from(word)[0].toUpperCase()).join('');
}

/// Whether the page may show `url` without asking another origin for it.
export function showable(url) {
  try {
    const parsed = new URL(url, document.baseURI);
    return parsed.protocol === 'data:' || parsed.origin === location.origin;
  } catch {
    return false;
  }
}

export function Avatar({ user }) {
  if (user.avatar && showable(user.avatar)) {
    return html`<img class="avatar" src=${user.avatar} alt="" width="64" height="64" />`;
  }
  return html`<span class="avatar initials" aria-hidden="true">${initials(user)}</span>`;
}

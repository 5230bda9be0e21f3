// Browser storage that may be missing or refused (private windows, quotas,
// blocked storage): the console then works without remembering.
// `area` is 'localStorage' or 'sessionStorage'.
export function read(area, key) {
  try {
    return window[area].getItem(key);
  } catch {
    return null;
  }
}

export function write(area, key, value) {
  try {
    if (value === null) {
      window[area].removeItem(key);
    } else {
      window[area].setItem(key, value);
    }
  } catch {
    // Not remembered; nothing else depends on it.
  }
}

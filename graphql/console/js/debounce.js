// Calls `fn` once `ms` milliseconds have passed without another call, with
// the last call's arguments: typing fires one request, not one per key.
export function debounce(fn, ms) {
  let timer;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

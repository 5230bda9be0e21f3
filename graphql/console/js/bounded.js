// Work on many items with at most `limit` in flight: the API has no bulk
// mutations, and one request per item all at once would trip its limits.

/// Calls `task(item)` for every item, `limit` at a time; never rejects.
/// Resolves to `{ item, error }` for each failed item, in the items' order.
export async function eachBounded(items, limit, task) {
  const errors = new Array(items.length).fill(null);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const index = next++;
      try {
        await task(items[index]);
      } catch (error) {
        errors[index] = error;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return items.flatMap((item, index) => (errors[index] ? [{ item, error: errors[index] }] : []));
}

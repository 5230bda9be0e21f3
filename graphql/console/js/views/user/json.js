// Reading the custom-data editor's text: a JSON object, or the reason it is
// not one, with where the parser stopped as a line and a column.

/// `{ value }` for a JSON object, else `{ problem, line, column, detail }`
/// (`problem`: 'syntax' or 'notObject').
export function parseObject(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Browsers name the offset ("... at position 12"); without one, the
    // text ended too soon.
    const found = /position (\d+)/.exec(error.message);
    const offset = found ? Number(found[1]) : text.length;
    const before = text.slice(0, offset).split('\n');
    return {
      problem: 'syntax',
      line: before.length,
      column: before[before.length - 1].length + 1,
      detail: error.message,
    };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problem: 'notObject' };
  }
  return { value };
}

/// The editor's text for `data`.
export function textOf(data) {
  return JSON.stringify(data, null, 2);
}

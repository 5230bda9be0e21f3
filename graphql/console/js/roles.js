// The roles a picker offers, fetched when a picker first needs them.
import { run } from './api.js';

/// `[{ id, name }]`, by name.
export async function roleChoices() {
  const data = await run('RoleChoices');
  return data.roles.nodes;
}

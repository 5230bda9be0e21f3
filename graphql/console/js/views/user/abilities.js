// What the console offers on a user's page, from the caller's permissions
// (the Set the App reads from `me`) and whether the page is the caller's
// own. It only hides what the API would refuse; the API decides.

/// Every permission usergraph checks: the scopes a token may be narrowed to.
export const PERMISSIONS = [
  'users:read',
  'users:write',
  'users:delete',
  'users:password',
  'roles:read',
  'roles:write',
  'logs:read',
  'tokens:read',
  'tokens:write',
];

export function abilitiesOf(permissions, self) {
  const may = (permission) => permissions.has(permission);
  return {
    // Identifiers are how a user signs in: `users:write` even for oneself.
    editIdentifiers: may('users:write'),
    // Name, avatar and profile: one's own without any permission.
    editProfile: self || may('users:write'),
    // Applications keep entitlements in custom data: `users:write` always.
    editCustomData: may('users:write'),
    unlinkIdentity: may('users:write'),
    // Oneself changes one's password knowing the current one.
    changePassword: self,
    resetPassword: !self && may('users:password'),
    // Nobody suspends or deletes themselves from their own page.
    suspend: !self && may('users:write'),
    delete: !self && may('users:delete'),
    removeRole: may('users:write'),
    assignRole: may('users:write') && may('roles:read'),
    readTokens: self || may('tokens:read'),
    writeTokens: self || may('tokens:write'),
    readLogs: self || may('logs:read'),
  };
}

/// The scopes a new token of `user` may have: what its owner holds and,
/// since a token never exceeds its creator, what the caller holds too.
export function grantableScopes(user, permissions) {
  const owner = new Set(user.roles.flatMap((role) => role.permissions));
  return PERMISSIONS.filter((permission) => owner.has(permission) && permissions.has(permission));
}

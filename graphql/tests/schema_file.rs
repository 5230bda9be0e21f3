//! `schema.graphql` at the repository root is the published contract: it
//! must be exactly what the code serves.

#[test]
fn committed_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = usergraph::sdl();
    if committed != current {
        let first_difference = committed
            .lines()
            .zip(current.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "one file is a prefix of the other".to_owned(),
                |i| format!("first difference at line {}", i + 1),
            );
        panic!(
            "schema.graphql is out of date with the code ({first_difference}); \
             regenerate it from the repository root with `cargo run -- schema > schema.graphql`"
        );
    }
}

#[test]
fn schema_names_follow_the_contract() {
    let sdl = usergraph::sdl();
    for expected in [
        "me: User",
        "user(id: ID!): User",
        "role(id: ID!): Role",
        "createUser(input: CreateUserInput!): User!",
        "updateUser(id: ID!, input: UpdateUserInput!): User!",
        "updateUserProfile(id: ID!, profile: ProfileInput!): User!",
        "updateUserCustomData(id: ID!, customData: JSON!, replace: Boolean = false): User!",
        "deleteUser(id: ID!): ID!",
        "setUserPassword(id: ID!, password: String!): User!",
        "verifyUserPassword(id: ID!, password: String!): Boolean!",
        "setUserSuspended(id: ID!, suspended: Boolean!): User!",
        "linkUserIdentity(id: ID!, provider: String!, identity: IdentityInput!): User!",
        "unlinkUserIdentity(id: ID!, provider: String!): User!",
        "createRole(input: CreateRoleInput!): Role!",
        "updateRole(id: ID!, input: UpdateRoleInput!): Role!",
        "deleteRole(id: ID!): ID!",
        "assignUserRoles(userId: ID!, roleIds: [ID!]!): User!",
        "replaceUserRoles(userId: ID!, roleIds: [ID!]!): User!",
        "removeUserRole(userId: ID!, roleId: ID!): User!",
        "scalar DateTime",
        "scalar JSON",
        "totalCount: Int!",
        "enum PasswordAlgorithm",
        "ARGON2ID",
        "users(search: String, filter: UserFilter, orderBy: [UserOrder!], first: Int, after: String, last: Int, before: String): UserConnection!",
        "input UserFilter",
        "and: [UserFilter!]",
        "or: [UserFilter!]",
        "not: UserFilter",
        "identityProvider: StringFilter",
        "roles: RoleMembershipFilter",
        "lastSignInAt: DateTimeFilter",
        "customData: [JsonPathFilter!]",
        "input StringFilter",
        "in: [String!]",
        "similarTo: String",
        "regex: String",
        "caseSensitive: Boolean = false",
        "input RoleMembershipFilter",
        "input DateTimeFilter",
        "input JsonPathFilter",
        "path: [String!]!",
        "input UserOrder",
        "field: UserOrderField!",
        "direction: OrderDirection!",
        "enum UserOrderField",
        "LAST_SIGN_IN_AT",
        "PRIMARY_EMAIL",
        "enum OrderDirection",
    ] {
        assert!(sdl.contains(expected), "the SDL lacks `{expected}`");
    }
}

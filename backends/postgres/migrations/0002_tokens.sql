-- Access tokens (personal access tokens and sign-in sessions). Only the
-- SHA-256 digest of a secret is stored, never the secret.
CREATE TABLE access_tokens (
    id           text COLLATE "C" NOT NULL,
    user_id      text COLLATE "C" NOT NULL,
    kind         text NOT NULL,
    name         text NOT NULL,
    -- identifier_key(name), computed in Rust like the other *_key columns.
    name_key     text COLLATE "C" NOT NULL,
    -- NULL: the owner's permissions; an array (possibly empty): narrowed.
    scopes       text[] COLLATE "C",
    digest       bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    version      bigint NOT NULL,
    CONSTRAINT access_tokens_pkey PRIMARY KEY (id),
    CONSTRAINT access_tokens_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT access_tokens_kind CHECK (kind IN ('personal', 'session')),
    CONSTRAINT access_tokens_digest_length CHECK (octet_length(digest) = 32)
);

-- Created in this order on purpose, like the users' indexes: a token
-- clashing on several keys reports what the embedded backends report (id,
-- then digest, then name).
CREATE UNIQUE INDEX access_tokens_digest_key ON access_tokens (digest);
-- Only personal tokens not revoked hold their name, so a revoked token's
-- name can be reused and sessions never collide.
CREATE UNIQUE INDEX access_tokens_name_key ON access_tokens (user_id, name_key)
    WHERE kind = 'personal' AND revoked_at IS NULL;
-- A user's tokens in listing order (and the cascade from users).
CREATE INDEX access_tokens_by_user ON access_tokens (user_id, created_at, id);

-- Failed credential checks (sign-ins, password checks, refused tokens), so
-- that every instance sharing the database counts the same failures. One
-- row per counted key; each row keeps only the failures that can still
-- matter (those in the window, at most the limit). Unlogged: the counts
-- need no WAL and no replica, and losing them in a crash is like a restart
-- of an instance that counts in memory.
CREATE UNLOGGED TABLE throttle_failures (
    kind            text NOT NULL,
    -- SHA-256 of the key: an identifier typed at sign-in (maybe a password
    -- typed into the wrong field) is not kept in clear.
    key_digest      bytea NOT NULL,
    -- Newest first.
    failures        timestamptz[] NOT NULL,
    last_failure_at timestamptz NOT NULL,
    CONSTRAINT throttle_failures_pkey PRIMARY KEY (kind, key_digest),
    CONSTRAINT throttle_failures_kind CHECK (kind IN ('account', 'address')),
    CONSTRAINT throttle_failures_digest_length CHECK (octet_length(key_digest) = 32)
);

-- Finds rows whose every failure has left the window, to delete them.
CREATE INDEX throttle_failures_by_age ON throttle_failures (last_failure_at);

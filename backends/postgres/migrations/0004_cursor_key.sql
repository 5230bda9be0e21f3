-- The secret that tags paging cursors: one row, stored by the first
-- instance that needs it and then shared by every instance on this
-- database, so that a cursor one instance issued works on another.
CREATE TABLE cursor_key (
    singleton boolean NOT NULL DEFAULT true,
    key       bytea NOT NULL,
    CONSTRAINT cursor_key_pkey PRIMARY KEY (singleton),
    CONSTRAINT cursor_key_singleton CHECK (singleton),
    CONSTRAINT cursor_key_length CHECK (octet_length(key) = 32)
);

-- usergraph's PostgreSQL schema. Every text column that is sorted, compared
-- or matched uses COLLATE "C" (byte order of UTF-8, i.e. Rust's String
-- order), so that order and equality are exactly the reference evaluator's.
-- The *_key columns are computed in Rust (`identifier_key`, lower-casing by
-- Rust's rules) rather than by SQL lower(), whose case mapping differs.

DO $$
BEGIN
    -- customData `contains` lower-cases inside SQL; only ICU's root locale
    -- lower-cases like Rust (full mappings, final sigma).
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_collation WHERE collname = 'und-x-icu') THEN
        RAISE EXCEPTION 'usergraph needs a PostgreSQL built with ICU (collation "und-x-icu")';
    END IF;
END
$$;

-- In public so that a schema per deployment (or per test) shares it and
-- dropping such a schema does not drop the extension.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE users (
    id                 text COLLATE "C" NOT NULL,
    username           text COLLATE "C",
    primary_email      text COLLATE "C",
    primary_phone      text COLLATE "C",
    name               text COLLATE "C",
    avatar             text,
    profile            jsonb NOT NULL,
    custom_data        jsonb NOT NULL,
    -- provider -> { userId, details, linkedAt }
    identities         jsonb NOT NULL,
    providers          text[] COLLATE "C" NOT NULL,
    provider_keys      text[] COLLATE "C" NOT NULL,
    password_digest    text,
    password_algorithm text,
    is_suspended       boolean NOT NULL,
    last_sign_in_at    timestamptz,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    version            bigint NOT NULL,
    username_key       text COLLATE "C",
    email_key          text COLLATE "C",
    name_key           text COLLATE "C",
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_password_pair CHECK ((password_digest IS NULL) = (password_algorithm IS NULL))
);

-- Created in this order on purpose: PostgreSQL checks unique indexes in
-- creation order, which makes an insert clashing on several keys report the
-- same one the embedded backends report (id, username, email, phone).
CREATE UNIQUE INDEX users_username_key ON users (username_key);
CREATE UNIQUE INDEX users_email_key ON users (email_key);
CREATE UNIQUE INDEX users_phone_key ON users (primary_phone);

-- Keyset paging in each user order (ties by id).
CREATE INDEX users_created_at ON users (created_at, id);
CREATE INDEX users_updated_at ON users (updated_at, id);
CREATE INDEX users_last_sign_in_at ON users (last_sign_in_at, id);
CREATE INDEX users_name_order ON users (name_key, id);

-- Substring search (simple search and contains/startsWith/endsWith/like).
CREATE INDEX users_id_trgm ON users USING gin (lower(id) public.gin_trgm_ops);
CREATE INDEX users_username_trgm ON users USING gin (username_key public.gin_trgm_ops);
CREATE INDEX users_email_trgm ON users USING gin (email_key public.gin_trgm_ops);
CREATE INDEX users_name_trgm ON users USING gin (name_key public.gin_trgm_ops);
CREATE INDEX users_phone_trgm ON users USING gin (primary_phone public.gin_trgm_ops);
CREATE INDEX users_providers ON users USING gin (providers);
CREATE INDEX users_provider_keys ON users USING gin (provider_keys);

CREATE TABLE roles (
    id              text COLLATE "C" NOT NULL,
    name            text NOT NULL,
    name_key        text COLLATE "C" NOT NULL,
    description     text,
    description_key text,
    permissions     text[] NOT NULL,
    is_default      boolean NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint NOT NULL,
    CONSTRAINT roles_pkey PRIMARY KEY (id)
);

CREATE UNIQUE INDEX roles_name_key ON roles (name_key);
CREATE INDEX roles_default ON roles (name_key, id) WHERE is_default;

CREATE TABLE users_roles (
    user_id text COLLATE "C" NOT NULL,
    role_id text COLLATE "C" NOT NULL,
    CONSTRAINT users_roles_pkey PRIMARY KEY (user_id, role_id),
    CONSTRAINT users_roles_user_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT users_roles_role_fkey FOREIGN KEY (role_id) REFERENCES roles (id) ON DELETE CASCADE
);

CREATE INDEX users_roles_by_role ON users_roles (role_id, user_id);

-- Append-only: entries outlive their user and role, so no foreign keys.
CREATE TABLE logs (
    id         text COLLATE "C" NOT NULL,
    key        text COLLATE "C" NOT NULL,
    result     text NOT NULL,
    user_id    text COLLATE "C",
    role_id    text COLLATE "C",
    actor_id   text,
    token_id   text,
    ip         text,
    user_agent text,
    payload    jsonb NOT NULL,
    error      text,
    created_at timestamptz NOT NULL,
    CONSTRAINT logs_pkey PRIMARY KEY (id),
    CONSTRAINT logs_result CHECK (result IN ('SUCCESS', 'ERROR'))
);

CREATE INDEX logs_created ON logs (created_at, id);
CREATE INDEX logs_by_user ON logs (user_id, created_at, id) WHERE user_id IS NOT NULL;
CREATE INDEX logs_by_role ON logs (role_id, created_at, id) WHERE role_id IS NOT NULL;

CREATE FUNCTION usergraph_logs_are_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'usergraph logs are append-only';
END
$$;

CREATE TRIGGER logs_append_only
    BEFORE UPDATE OR DELETE ON logs
    FOR EACH ROW EXECUTE FUNCTION usergraph_logs_are_append_only();

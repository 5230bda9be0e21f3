-- Keyset paging in a one-term order on a nullable column (username, name,
-- primary email, last sign-in). Such an order walks the never-null key
-- ((col IS NULL), COALESCE(col, fallback), id) ascending, or
-- ((col IS NOT NULL), COALESCE(col, fallback), id) descending (see
-- src/order.rs), so that "after the cursor" is one row comparison. Each index
-- below is exactly one such key, expression for expression: the planner
-- matches index expressions by their form, and only then reads a page from
-- the cursor onwards instead of every row before it. One index serves both
-- walks (forward and backward) of one direction.
CREATE INDEX users_username_asc ON users ((username_key IS NULL), COALESCE(username_key, ''), id);
CREATE INDEX users_username_desc ON users ((username_key IS NOT NULL), COALESCE(username_key, ''), id);
CREATE INDEX users_name_asc ON users ((name_key IS NULL), COALESCE(name_key, ''), id);
CREATE INDEX users_name_desc ON users ((name_key IS NOT NULL), COALESCE(name_key, ''), id);
CREATE INDEX users_email_asc ON users ((email_key IS NULL), COALESCE(email_key, ''), id);
CREATE INDEX users_email_desc ON users ((email_key IS NOT NULL), COALESCE(email_key, ''), id);
CREATE INDEX users_last_sign_in_asc
    ON users ((last_sign_in_at IS NULL), COALESCE(last_sign_in_at, '-infinity'::timestamptz), id);
CREATE INDEX users_last_sign_in_desc
    ON users ((last_sign_in_at IS NOT NULL), COALESCE(last_sign_in_at, '-infinity'::timestamptz), id);

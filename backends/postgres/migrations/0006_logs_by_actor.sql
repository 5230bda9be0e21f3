-- `logs(filter: { actorId })`: what one user did, newest first. Partial, as
-- the user and role indexes are: entries of anonymous callers and of the
-- process itself have no actor.
CREATE INDEX logs_by_actor ON logs (actor_id, created_at, id) WHERE actor_id IS NOT NULL;

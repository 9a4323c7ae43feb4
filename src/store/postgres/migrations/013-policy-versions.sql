-- The policy versions that were in force, as SQLite's 013: one row each time a replica put a policy in force.
CREATE TABLE policy_versions (
  id BIGSERIAL PRIMARY KEY,
  version TEXT NOT NULL,
  loaded_at BIGINT NOT NULL,
  instance TEXT NOT NULL,
  trigger TEXT NOT NULL,
  groups JSONB NOT NULL
);
CREATE INDEX policy_versions_loaded_at ON policy_versions (loaded_at);

-- The policy versions that were in force (AG-404 evidence, `dnsward report`): one row each time a replica put a
-- policy in force, at start and on every reload that changed it. groups: JSON [{name, tier, mode, entries}].
CREATE TABLE policy_versions (
  id INTEGER PRIMARY KEY,
  version TEXT NOT NULL,
  loaded_at INTEGER NOT NULL,
  instance TEXT NOT NULL,
  trigger TEXT NOT NULL,
  groups TEXT NOT NULL
);
CREATE INDEX policy_versions_loaded_at ON policy_versions (loaded_at);

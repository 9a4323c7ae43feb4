-- At most one active (unreleased) quarantine per agent, scope and base domain: replicas raising the same quarantine
-- join one row (INSERT ... ON CONFLICT in quarantine-repository.ts). Before the index: unreleased rows that have
-- run out are retired (released at their end), then of duplicates still running the oldest keeps the latest end
-- and the others are released now.
UPDATE quarantines SET released_at = until
WHERE released_at IS NULL AND until <= CAST(unixepoch('subsec') * 1000 AS INTEGER);

UPDATE quarantines
SET until = (
  SELECT max(d.until) FROM quarantines d
  WHERE d.released_at IS NULL AND d.agent_id = quarantines.agent_id AND d.scope = quarantines.scope
    AND coalesce(d.base_domain, '') = coalesce(quarantines.base_domain, '')
)
WHERE released_at IS NULL;

UPDATE quarantines
SET released_at = CAST(unixepoch('subsec') * 1000 AS INTEGER)
WHERE released_at IS NULL AND id > (
  SELECT min(d.id) FROM quarantines d
  WHERE d.released_at IS NULL AND d.agent_id = quarantines.agent_id AND d.scope = quarantines.scope
    AND coalesce(d.base_domain, '') = coalesce(quarantines.base_domain, '')
);

CREATE UNIQUE INDEX quarantines_one_active ON quarantines (agent_id, scope, coalesce(base_domain, ''))
  WHERE released_at IS NULL;

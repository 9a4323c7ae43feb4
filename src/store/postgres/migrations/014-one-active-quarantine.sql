-- As SQLite's 014: one active (unreleased) quarantine per agent, scope and base domain fleet-wide. Run-out rows are
-- retired first (released at their end); of duplicates still running the oldest keeps the latest end, the others
-- are released now.
UPDATE quarantines SET released_at = until
WHERE released_at IS NULL AND until <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint;

CREATE TEMP TABLE active_quarantine_groups ON COMMIT DROP AS
  SELECT agent_id, scope, coalesce(base_domain, '') AS domain, min(id) AS keep, max(until) AS until
  FROM quarantines WHERE released_at IS NULL GROUP BY 1, 2, 3;

UPDATE quarantines q SET until = g.until FROM active_quarantine_groups g WHERE q.id = g.keep;

UPDATE quarantines q
SET released_at = (extract(epoch FROM clock_timestamp()) * 1000)::bigint
FROM active_quarantine_groups g
WHERE q.released_at IS NULL AND q.agent_id = g.agent_id AND q.scope = g.scope
  AND coalesce(q.base_domain, '') = g.domain AND q.id <> g.keep;

CREATE UNIQUE INDEX quarantines_one_active ON quarantines (agent_id, scope, coalesce(base_domain, ''))
  WHERE released_at IS NULL;

-- Pod identity (identity.kubernetes), as SQLite's 010: query-log rows and alerts gain namespace, pod, pod_uid and
-- service_account (NULL outside Kubernetes). ALTER on the partitioned query_log reaches every day partition.
ALTER TABLE query_log ADD COLUMN IF NOT EXISTS namespace TEXT;
ALTER TABLE query_log ADD COLUMN IF NOT EXISTS pod TEXT;
ALTER TABLE query_log ADD COLUMN IF NOT EXISTS pod_uid TEXT;
ALTER TABLE query_log ADD COLUMN IF NOT EXISTS service_account TEXT;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS namespace TEXT;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS pod TEXT;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS pod_uid TEXT;
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS service_account TEXT;
CREATE INDEX IF NOT EXISTS alerts_pod ON alerts (namespace, pod);
CREATE OR REPLACE VIEW queries AS SELECT * FROM query_log;

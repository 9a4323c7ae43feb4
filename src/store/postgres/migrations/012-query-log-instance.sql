-- Each query-log row and drop count names the replica that wrote it (store.instance).
ALTER TABLE query_log ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE query_log_drops ADD COLUMN instance TEXT NOT NULL DEFAULT '';
CREATE OR REPLACE VIEW queries AS SELECT * FROM query_log;

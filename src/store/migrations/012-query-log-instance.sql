-- Each query-log segment and drop count names the replica that wrote it (store.instance); the queries view
-- shows it per row.
ALTER TABLE query_log_segments ADD COLUMN instance TEXT NOT NULL DEFAULT '';
ALTER TABLE query_log_drops ADD COLUMN instance TEXT NOT NULL DEFAULT '';
DROP VIEW queries;
CREATE VIEW queries AS
SELECT s.id * 4294967296 + j.key AS id,
       j.value ->> 0 AS ts,
       j.value ->> 1 AS transport,
       j.value ->> 2 AS client_ip,
       j.value ->> 3 AS client_port,
       j.value ->> 4 AS agent_id,
       j.value ->> 5 AS grp,
       j.value ->> 6 AS tier,
       j.value ->> 7 AS qname,
       j.value ->> 8 AS qtype,
       j.value ->> 9 AS decision,
       j.value ->> 10 AS reason,
       j.value ->> 11 AS rule_id,
       j.value ->> 12 AS rcode,
       j.value ->> 13 AS upstream,
       j.value ->> 14 AS cached,
       j.value ->> 15 AS answered_by,
       j.value ->> 16 AS latency_us,
       j.value ->> 17 AS req_bytes,
       j.value ->> 18 AS resp_bytes,
       j.value ->> 19 AS answers,
       j.value ->> 20 AS namespace,
       j.value ->> 21 AS pod,
       j.value ->> 22 AS pod_uid,
       j.value ->> 23 AS service_account,
       s.instance AS instance
FROM query_log_segments AS s, json_each(s.rows) AS j;

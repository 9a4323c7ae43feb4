-- Pod identity (identity.kubernetes): query-log rows gain namespace, pod, pod_uid, service_account as elements
-- 20..23 of each row array (older rows end at 19 and read as NULL); alerts gain the same columns.
ALTER TABLE alerts ADD COLUMN namespace TEXT;
ALTER TABLE alerts ADD COLUMN pod TEXT;
ALTER TABLE alerts ADD COLUMN pod_uid TEXT;
ALTER TABLE alerts ADD COLUMN service_account TEXT;
CREATE INDEX alerts_pod ON alerts (namespace, pod);

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
       j.value ->> 23 AS service_account
FROM query_log_segments AS s, json_each(s.rows) AS j;

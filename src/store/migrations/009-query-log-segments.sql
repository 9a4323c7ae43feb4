-- Query log in segments: one SQLite row per written batch, its rows a JSON array of row arrays. A row per query
-- cost ~4.9 µs of the answer thread's CPU (record encoding and two index inserts per query); a segment costs
-- ~1.5 µs a query (bench/micro/query-log-insert.ts). Readers prune by time range and agent, then decode.
CREATE TABLE query_log_segments (
  id INTEGER PRIMARY KEY,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  count INTEGER NOT NULL,
  -- [ts, transport, client_ip, client_port, agent_id, grp, tier, qname, qtype, decision, reason, rule_id,
  --  rcode, upstream, cached, answered_by, latency_us, req_bytes, resp_bytes, answers] per query
  rows TEXT NOT NULL
);
CREATE INDEX query_log_segments_last_ts ON query_log_segments (last_ts);

-- Which agents a segment holds, so `queries --agent` and alert samples skip the others.
CREATE TABLE query_log_segment_agents (
  segment_id INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  PRIMARY KEY (segment_id, agent_id)
) WITHOUT ROWID;
CREATE INDEX query_log_segment_agents_agent ON query_log_segment_agents (agent_id, segment_id);

-- Rows logged before this version move into segments of 1024.
INSERT INTO query_log_segments (id, first_ts, last_ts, count, rows)
SELECT id / 1024 + 1, min(ts), max(ts), count(*),
       json_group_array(json_array(ts, transport, client_ip, client_port, agent_id, grp, tier, qname, qtype,
         decision, reason, rule_id, rcode, upstream, cached, answered_by, latency_us, req_bytes, resp_bytes, answers))
FROM (SELECT * FROM queries ORDER BY id)
GROUP BY id / 1024;
INSERT INTO query_log_segment_agents (segment_id, agent_id)
SELECT DISTINCT id / 1024 + 1, agent_id FROM queries;

DROP TABLE queries;

-- The familiar one-row-per-query shape for SQL readers (sqlite3, scripts); `id` orders rows as they were written.
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
       j.value ->> 19 AS answers
FROM query_log_segments AS s, json_each(s.rows) AS j;

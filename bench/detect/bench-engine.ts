// Engine throughput in isolation (one core) and memory under a flood of unique names.
//
// node --expose-gc --import tsx bench/detect/bench-engine.ts [events=1000000]
import { detectionSection } from '../../src/config/sections/detection.js';
import type { QueryEvent } from '../../src/model/query-event.js';
import { DetectionEngine } from '../../src/detect/engine.js';

const N = Number(process.argv[2] ?? 1_000_000);
const T0 = Date.UTC(2026, 0, 15);

let seed = 12345;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
}
function str(alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)] ?? 'a';
  return s;
}

function ev(i: number, agentId: string, qname: string, qtype = 'A'): QueryEvent {
  return {
    ts: T0 + Math.floor(i / 20), // 20k events/s of event time
    transport: 'udp',
    clientIp: '10.0.0.1',
    clientPort: 5000,
    agentId,
    group: 'bench',
    tier: 3,
    qname,
    qtype,
    decision: 'allow',
    reason: 'bench',
    ruleId: 'bench',
    rcode: 'NOERROR',
    upstream: '192.0.2.1:53',
    cached: false,
    answeredBy: 'upstream',
    latencyUs: 100,
    reqBytes: 40,
    respBytes: 80,
    answers: 1,
  };
}

const POPULAR = Array.from(
  { length: 300 },
  (_, i) => `${['api', 'www', 'cdn', 'login', 'files'][i % 5] ?? 'www'}.site${String(i % 120)}.example`,
);

/** 85% repeated popular names, 10% CDN-like fresh names, 5% tunnel queries, 200 agents. */
function mixed(n: number): QueryEvent[] {
  const out: QueryEvent[] = [];
  for (let i = 0; i < n; i++) {
    const agent = `agent-${String(Math.floor(rand() * 200))}`;
    const r = rand();
    if (r < 0.85) out.push(ev(i, agent, POPULAR[Math.floor(rand() * POPULAR.length)] ?? 'www.example'));
    else if (r < 0.95) out.push(ev(i, agent, `e${String(Math.floor(rand() * 99999))}.dscb.akamaiedge.net`));
    else
      out.push(
        ev(
          i,
          'agent-7',
          `${str('abcdefghijklmnopqrstuvwxyz234567', 52)}.${str('abcdefghijklmnopqrstuvwxyz234567', 40)}.t.tunnel-example.org`,
          'TXT',
        ),
      );
  }
  return out;
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

function time(label: string, events: readonly QueryEvent[], engine: DetectionEngine): void {
  const start = process.hrtime.bigint();
  for (const e of events) engine.process(e);
  engine.takeChanges();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  process.stdout.write(
    `${label}: ${String(events.length)} events in ${seconds.toFixed(2)} s = ${Math.round(events.length / seconds).toLocaleString('en')} events/s\n`,
  );
}

const config = detectionSection.parse({});

// warm-up so the JIT has compiled the hot paths before timing
time('warm-up (mixed)', mixed(100_000), new DetectionEngine(config));
time('mixed traffic', mixed(N), new DetectionEngine(config));

/** Streams `n` generated events into a fresh engine; reports time (generation included) and retained heap. */
function flood(label: string, n: number, make: (i: number) => QueryEvent): void {
  const before = heapMiB();
  const engine = new DetectionEngine(config);
  const start = process.hrtime.bigint();
  let peak = 0;
  for (let i = 0; i < n; i++) {
    engine.process(make(i));
    if (i % 100_000 === 0) {
      engine.takeChanges();
      peak = Math.max(peak, process.memoryUsage().heapUsed / 1024 / 1024 - before);
    }
  }
  engine.takeChanges();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const retained = heapMiB() - before;
  process.stdout.write(
    `${label}: ${String(n)} events in ${seconds.toFixed(2)} s = ${Math.round(n / seconds).toLocaleString('en')} events/s (generation included)\n` +
      `  retained heap ${retained.toFixed(1)} MiB (sampled peak ${peak.toFixed(1)} MiB); ${JSON.stringify(engine.stats())}\n`,
  );
}

// flood A: one agent, one base domain, unique names (a tunnel at full speed)
flood('flood A: 1 agent x 1 base, unique hex names', N, (i) =>
  ev(i, 'agent-flood', `${str('0123456789abcdef', 60)}.flood-example.org`, 'TXT'),
);
// flood B: unique names under unique base domains from many agents (state-table pressure)
flood('flood B: 5000 agents x unique bases', N, (i) =>
  ev(
    i,
    `agent-${String(i % 5000)}`,
    `${str('abcdefghijklmnopqrstuvwxyz0123456789', 16)}.${str('abcdefghijklmnopqrstuvwxyz', 10)}.com`,
  ),
);

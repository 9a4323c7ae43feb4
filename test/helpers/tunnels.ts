// Real DNS tunnels (iodine, dns2tcp) for end-to-end tests: tunnel servers behind a loopback address:port,
// tunnel clients aimed at the resolver under test, bounded traffic, and nothing left behind.
//
// How it is wired (root required: network namespaces and tun devices):
//
//   root netns (the test)                            client netns "dwtun<pid>c<n>": only lo (+ iodine's dns0)
//   relay child: UDP → resolver host:port  ◄─unix─►  relay child: UDP 127.0.0.1:53  ◄── iodine / dns2tcpc
//     (source address = clientAddress)      socket     driver child: pings + TCP upload/download
//
//   resolver under test ──UDP──► relay child:  ◄─unix─►  server netns "dwtun<pid>s<n>": iodined or dns2tcpd
//   (e.g. dnsward, which     UDP host:port     socket    on 127.0.0.1:53, payload peer child (TCP + UDP echo)
//    forwards the zone here)
//
// Why the relays: iodine and dns2tcpc always send to port 53 and take no port option (see the README in
// fixtures/), and iodine/iodined create tun devices that must stay inside namespaces. The namespaces have no interface but lo (and the
// tun), so nothing in them can reach any network; the only way out is the Unix-socket relay, whose root
// side sends only to the loopback resolver it was given. Every address is checked to be loopback, the
// tun network must be a documentation range (default 192.0.2.0/27), iodine always gets -r (no raw-UDP
// shortcut) and an explicit resolver, and each namespace's /etc/netns/<ns>/resolv.conf names 127.0.0.1.
// Every process runs under coreutils `timeout` in its own process group and is stopped in `finally`;
// exit and SIGINT/SIGTERM hooks kill what is left and delete the namespaces, and namespaces left by a
// test process that died (SIGKILL) are swept on the next start.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { HostPort } from '../../src/config/host-port.js';

const execFileAsync = promisify(execFile);

/** Counters of one UDP relay leg, as seen where it meets the root network namespace. */
export interface RelayStats {
  /** DNS messages (datagrams) sent towards the resolver / tunnel server, and their bytes. */
  queries: number;
  queryBytes: number;
  /** Messages and bytes that came back. */
  responses: number;
  responseBytes: number;
}

/** What one tunnel session moved. */
export interface TunnelRunResult {
  tool: 'iodine' | 'dns2tcp';
  /** The tunnel handshake completed through the resolver. False when the resolver refused or denied. */
  connected: boolean;
  /** Milliseconds from client start to a working tunnel, or null. */
  setupMs: number | null;
  /** Payload bytes the far end received from the client, and the client received back. */
  bytesUp: number;
  bytesDown: number;
  /** UDP echo round trips through the tun interface (iodine only). */
  pingsSent: number;
  pingsOk: number;
  /** DNS traffic between the client and the resolver under test. */
  dns: RelayStats;
  /** Source address the resolver saw the client's queries from. */
  clientAddress: string;
  /** The session hit its time limit before the traffic was done. */
  timedOut: boolean;
  /** Tail of the tunnel client's own output, for assertion messages. */
  clientLog: string;
}

export interface TunnelServerHandle {
  tool: 'iodine' | 'dns2tcp';
  zone: string;
  /** Where the resolver under test must forward `zone` (UDP). */
  address: HostPort;
  /** DNS traffic the tunnel server received (from the resolver) and answered. */
  stats(): Promise<RelayStats>;
  /** Payload bytes the server-side peer received and sent. */
  payload(): { received: number; sent: number };
  log(): string;
  stop(): Promise<void>;
}

export interface TunnelClientHandle {
  connected: boolean;
  setupMs: number | null;
  clientAddress: string;
  stats(): Promise<RelayStats>;
  log(): string;
  /** Stops the tunnel client first (its goodbye still goes through the resolver), then the rest;
   *  resolves with the final DNS counters. Safe to call more than once. */
  stop(): Promise<RelayStats>;
}

export interface IodineServerOptions {
  zone: string;
  /** Loopback address the server listens on (UDP). */
  host: string;
  /** UDP port; 0 picks a free one (see the handle's `address`). */
  port: number;
  password?: string;
  /** Server tun address and prefix, inside its namespace only. Default 192.0.2.1/27 (TEST-NET-1). */
  tunnelAddress?: string;
  /** Hard limit for every process of this server. Default 120 s. */
  maxSeconds?: number;
}

export interface IodineClientOptions {
  resolver: HostPort;
  zone: string;
  password?: string;
  /** Loopback source address of the client's queries (how the resolver tells agents apart). */
  clientAddress?: string;
  /** Hard limit for the whole session, setup included. Default 40 s. */
  seconds?: number;
  /** Bytes to upload / download through the tun interface over TCP. Defaults 8000 / 4000. */
  upBytes?: number;
  downBytes?: number;
  /** UDP echo round trips before the TCP transfer. Default 3. */
  pings?: number;
  /** Milliseconds to keep the tunnel idle (polling) after the traffic. Default 0. */
  idleMs?: number;
  /** The server's tun address (default 192.0.2.1). */
  tunnelPeer?: string;
  /** Extra iodine options, e.g. ['-T', 'TXT', '-O', 'Base32']. */
  iodineArgs?: readonly string[];
}

export interface Dns2tcpServerOptions {
  zone: string;
  host: string;
  /** UDP port; 0 picks a free one. */
  port: number;
  key?: string;
  maxSeconds?: number;
}

export interface Dns2tcpClientOptions {
  resolver: HostPort;
  zone: string;
  key?: string;
  clientAddress?: string;
  seconds?: number;
  upBytes?: number;
  downBytes?: number;
  idleMs?: number;
  /** dns2tcp query type: TXT (default) or KEY. */
  queryType?: 'TXT' | 'KEY';
}

const DEFAULT_PASSWORD = 'dnsward-test-only';
const DEFAULT_TUN = '192.0.2.1/27';
const PEER_PORT = 7000;
const RESOURCE = 'payload';
const REQUIRED_TOOLS = ['ip', 'timeout', 'iodine', 'iodined', 'dns2tcpc', 'dns2tcpd'] as const;

// ---------------------------------------------------------------------------------------------------
// Safety checks
// ---------------------------------------------------------------------------------------------------

function isLoopback(host: string): boolean {
  if (host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function requireLoopback(what: string, host: string): void {
  if (!isLoopback(host))
    throw new Error(`${what} must be a loopback address (127.0.0.0/8 or ::1), got '${host}'`);
}

/** Documentation ranges only (RFC 5737), so a tun address can never collide with a real network. */
function requireTestNet(what: string, cidr: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  const prefix = m ? `${m[1] ?? ''}.${m[2] ?? ''}.${m[3] ?? ''}` : '';
  if (
    !m ||
    !['192.0.2', '198.51.100', '203.0.113'].includes(prefix) ||
    Number(m[5]) < 24 ||
    Number(m[5]) > 30
  ) {
    throw new Error(`${what} must be inside 192.0.2.0/24, 198.51.100.0/24 or 203.0.113.0/24, got '${cidr}'`);
  }
  return `${prefix}.${m[4] ?? ''}`;
}

function requireZone(zone: string): void {
  if (!/^([a-z0-9-]+\.)+(test|example|invalid|localhost)$/i.test(zone)) {
    throw new Error(`tunnel zone must be under a reserved TLD (.test, .example), got '${zone}'`);
  }
}

function onPath(tool: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin', '/sbin')) {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * Whether real tunnels can run here: root, /dev/net/tun and the tools. Use it to skip e2e tests:
 * `test('…', { skip: tunnelPrerequisites().reason }, …)`.
 */
export function tunnelPrerequisites(): { ok: boolean; reason: string | false } {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('not root');
  try {
    accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    problems.push('no /dev/net/tun');
  }
  const missing = REQUIRED_TOOLS.filter((t) => !onPath(t));
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`);
  return problems.length === 0 ? { ok: true, reason: false } : { ok: false, reason: problems.join('; ') };
}

// ---------------------------------------------------------------------------------------------------
// Processes and namespaces, with an exit hook as the last line of defence
// ---------------------------------------------------------------------------------------------------

const livePgids = new Set<number>();
const liveNamespaces = new Set<string>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
let nsCounter = 0;

/** Memoises an async function of no arguments: the first call runs it, later calls share its promise. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  sweepStaleNamespaces();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    // Only when nobody else handles the signal: clean up, then die of it as we would have.
    if (process.listenerCount(sig) > 0) continue;
    process.once(sig, () => {
      cleanupNow();
      process.kill(process.pid, sig);
    });
  }
  process.on('exit', cleanupNow);
}

/** Namespaces named by this helper for a test process that no longer exists, with nothing inside. */
function sweepStaleNamespaces(): void {
  let names: string[];
  try {
    names = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 })
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '');
  } catch {
    return;
  }
  for (const ns of names) {
    const m = /^dwtun(\d+)[cs]\d+$/.exec(ns);
    if (!m || pidAlive(Number(m[1]))) continue;
    try {
      const inside = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', timeout: 5000 }).trim();
      if (inside !== '') continue;
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    } catch {
      // someone else's business now
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cleanupNow(): void {
  for (const pgid of livePgids) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const ns of liveNamespaces) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    } catch {
      // best effort at exit
    }
  }
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
}

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves with the first output line matching `re`; rejects after `ms` or when the process exits. */
  waitFor: (re: RegExp, ms: number) => Promise<string>;
}

/** Start `cmd` (optionally inside `netns`) in its own process group, killed by `timeout` after maxSeconds. */
function startProc(
  name: string,
  cmd: string,
  args: readonly string[],
  maxSeconds: number,
  netns?: string,
): Proc {
  installExitHook();
  const inner = netns === undefined ? [cmd, ...args] : ['ip', 'netns', 'exec', netns, cmd, ...args];
  const child = spawn('timeout', ['-k', '2', String(Math.max(1, Math.ceil(maxSeconds))), ...inner], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pgid = child.pid;
  if (pgid !== undefined) livePgids.add(pgid);
  let text = '';
  const watchers = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    text += chunk.toString('latin1');
    if (text.length > 256_000) text = text.slice(-128_000);
    for (const w of watchers) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(null));
    child.on('close', (code) => {
      if (pgid !== undefined) livePgids.delete(pgid);
      resolve(code);
      for (const w of watchers) w();
    });
  });
  let done = false;
  void exited.then(() => (done = true));
  const waitFor = (re: RegExp, ms: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(text);
        if (m) finish(() => resolve(m[0]));
        else if (done)
          finish(() => reject(new Error(`${name} exited before /${re.source}/:\n${tail(text)}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${name}: no /${re.source}/ within ${ms} ms:\n${tail(text)}`))),
        ms,
      );
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        watchers.delete(check);
        f();
      };
      watchers.add(check);
      check();
    });
  return { name, child, output: () => text, exited, waitFor };
}

async function stopProc(
  proc: Proc | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 3000,
): Promise<void> {
  if (!proc) return;
  const pgid = proc.child.pid;
  if (pgid === undefined || proc.child.exitCode !== null || proc.child.signalCode !== null) {
    await proc.exited;
    return;
  }
  const kill = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // already gone
    }
  };
  kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const graceful = await Promise.race([
    proc.exited.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (!graceful) kill('SIGKILL');
  await proc.exited;
  kill('SIGKILL'); // stragglers in the group
}

function tail(text: string, lines = 25): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('ip', args, { timeout: 10_000 });
  return stdout;
}

/** A fresh network namespace with only `lo` up, and a resolv.conf that names its own loopback. */
async function createNamespace(kind: 'c' | 's'): Promise<string> {
  installExitHook();
  nsCounter += 1;
  const ns = `dwtun${process.pid}${kind}${nsCounter}`;
  await ip('netns', 'add', ns);
  liveNamespaces.add(ns);
  mkdirSync(`/etc/netns/${ns}`, { recursive: true });
  writeFileSync(`/etc/netns/${ns}/resolv.conf`, 'nameserver 127.0.0.1\n');
  await ip('-n', ns, 'link', 'set', 'lo', 'up');
  await guardNamespace(ns);
  return ns;
}

/** No default route, no interface but lo and a tun named dns0. */
async function guardNamespace(ns: string): Promise<void> {
  const routes =
    (await ip('-n', ns, '-4', 'route', 'show', 'default')) +
    (await ip('-n', ns, '-6', 'route', 'show', 'default'));
  if (routes.trim() !== '') throw new Error(`namespace ${ns} has a default route: ${routes}`);
  const links = (await ip('-n', ns, '-o', 'link', 'show'))
    .split('\n')
    .filter(Boolean)
    .map((l) => (l.split(': ')[1] ?? '').replace(/@.*/, ''));
  const unexpected = links.filter((l) => l !== 'lo' && l !== 'dns0');
  if (unexpected.length > 0)
    throw new Error(`namespace ${ns} has unexpected links: ${unexpected.join(', ')}`);
}

async function deleteNamespace(ns: string | undefined): Promise<void> {
  if (ns === undefined) return;
  try {
    const pids = (await ip('netns', 'pids', ns)).split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL'); // only processes inside our own namespace
      } catch {
        // gone
      }
    }
    await ip('netns', 'del', ns);
  } catch {
    // already deleted
  }
  rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  liveNamespaces.delete(ns);
}

// ---------------------------------------------------------------------------------------------------
// Child programs (plain ESM, run with `node --input-type=module -e SOURCE ARGS_JSON`)
// ---------------------------------------------------------------------------------------------------

/**
 * UDP <-> Unix-socket relay end. `listen`: receives UDP datagrams on udp.host:udp.port and forwards them,
 * tagged with a peer id, over the Unix link; answers go back to that peer. `connect`: for every peer id
 * it opens its own UDP socket (bound to `bind`), sends to the target udp.host:udp.port and relays only
 * datagrams from that target back. Prints JSON lines: {"type":"ready","port":N} and {"type":"stats",...}.
 */
const RELAY_SOURCE = String.raw`
import dgram from 'node:dgram';
import net from 'node:net';
const o = JSON.parse(process.argv[1]);
const loop = (h) => h === '::1' || (net.isIPv4(h) && h.startsWith('127.'));
if (!loop(o.udp.host) || (o.bind && !loop(o.bind))) { console.error('relay: non-loopback address refused'); process.exit(2); }
const fam = (h) => (net.isIPv6(h) ? 'udp6' : 'udp4');
const st = { type: 'stats', queries: 0, queryBytes: 0, responses: 0, responseBytes: 0 };
let dirty = true;
const emit = () => { if (dirty) { dirty = false; console.log(JSON.stringify(st)); } };
setInterval(emit, 200).unref();
let link = null;
let buf = Buffer.alloc(0);
const frame = (id, p) => { const h = Buffer.alloc(8); h.writeUInt32BE(p.length, 0); h.writeUInt32BE(id, 4); return Buffer.concat([h, p]); };
const onFrames = (chunk, cb) => {
  buf = Buffer.concat([buf, chunk]);
  while (buf.length >= 8) {
    const n = buf.readUInt32BE(0);
    if (buf.length < 8 + n) break;
    cb(buf.readUInt32BE(4), buf.subarray(8, 8 + n));
    buf = buf.subarray(8 + n);
  }
};
const bye = () => { emit(); process.exit(0); };
process.on('SIGTERM', bye);
process.on('SIGINT', bye);
let onLinkFrame = () => {};
const attach = (s) => { link = s; s.on('data', (c) => onFrames(c, onLinkFrame)); s.on('close', bye); s.on('error', bye); };
if (o.role === 'listen') {
  const sock = dgram.createSocket(fam(o.udp.host));
  const ids = new Map(), peers = new Map();
  let next = 1;
  sock.on('message', (m, r) => {
    if (!link) return;
    const key = r.address + '|' + r.port;
    let id = ids.get(key);
    if (id === undefined) { id = next++; ids.set(key, id); peers.set(id, r); }
    st.queries++; st.queryBytes += m.length; dirty = true;
    link.write(frame(id, m));
  });
  onLinkFrame = (id, p) => {
    const r = peers.get(id);
    if (!r) return;
    st.responses++; st.responseBytes += p.length; dirty = true;
    sock.send(p, r.port, r.address);
  };
  sock.bind(o.udp.port, o.udp.host, () => ready(sock.address().port));
} else {
  const socks = new Map();
  onLinkFrame = (id, p) => {
    let e = socks.get(id);
    if (!e) {
      if (socks.size >= o.maxPeers) {
        let oldest = null;
        for (const [k, v] of socks) if (!oldest || v.last < oldest[1].last) oldest = [k, v];
        oldest[1].s.close(); socks.delete(oldest[0]);
      }
      const s = dgram.createSocket(fam(o.udp.host));
      e = { s, last: Date.now() };
      s.on('message', (m, r) => {
        if (r.address !== o.udp.host || r.port !== o.udp.port) return;
        e.last = Date.now();
        st.responses++; st.responseBytes += m.length; dirty = true;
        link.write(frame(id, m));
      });
      s.on('error', () => {});
      s.bind(0, o.bind || undefined);
      socks.set(id, e);
    }
    e.last = Date.now();
    st.queries++; st.queryBytes += p.length; dirty = true;
    e.s.send(p, o.udp.port, o.udp.host);
  };
  setInterval(() => {
    const now = Date.now();
    for (const [k, v] of socks) if (now - v.last > o.idleMs) { v.s.close(); socks.delete(k); }
  }, 1000).unref();
  ready(0);
}
function ready(port) {
  if (o.unix.mode === 'listen') {
    const srv = net.createServer((s) => { if (link) { s.destroy(); return; } attach(s); });
    srv.listen(o.unix.path, () => console.log(JSON.stringify({ type: 'ready', port })));
  } else {
    const t0 = Date.now();
    const tryConnect = () => {
      const s = net.connect(o.unix.path);
      s.once('connect', () => { attach(s); console.log(JSON.stringify({ type: 'ready', port })); });
      s.once('error', () => { if (Date.now() - t0 > 10000) process.exit(3); setTimeout(tryConnect, 100); });
    };
    tryConnect();
  }
}
`;

/** Tunnel-side payload peer: TCP "<magic> <up> <down>\n" + up bytes -> down bytes; UDP echo on port+1. */
const PEER_SOURCE = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
import { createCipheriv } from 'node:crypto';
const o = JSON.parse(process.argv[1]);
const bytes = (n) => createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(n));
const st = { type: 'payload', received: 0, sent: 0 };
const udp = dgram.createSocket('udp4');
udp.on('message', (m, r) => udp.send(m, r.port, r.address));
udp.bind(o.port + 1, o.host);
net.createServer((s) => {
  let head = '', want = -1, down = 0, got = 0;
  s.on('data', (d) => {
    if (want < 0) {
      head += d.toString('latin1');
      const nl = head.indexOf('\n');
      if (nl < 0) return;
      const [magic, up, dn] = head.slice(0, nl).split(' ');
      if (magic !== 'dnsward-tunnel-test') { s.destroy(); return; }
      want = Number(up); down = Number(dn);
      d = Buffer.from(head.slice(nl + 1), 'latin1');
    }
    got += d.length; st.received += d.length;
    if (got >= want) { s.end(bytes(down)); st.sent += down; console.log(JSON.stringify(st)); }
  });
  s.on('error', () => {});
}).listen(o.port, o.host, () => console.log(JSON.stringify({ type: 'ready' })));
`;

/** Client-side driver: UDP echo pings, then one TCP exchange with the peer; prints one JSON result. */
const DRIVER_SOURCE = String.raw`
import net from 'node:net';
import dgram from 'node:dgram';
import { createCipheriv } from 'node:crypto';
const o = JSON.parse(process.argv[1]);
const bytes = (n) => createCipheriv('aes-128-ctr', Buffer.alloc(16, 9), Buffer.alloc(16)).update(Buffer.alloc(n));
const out = { type: 'result', pingsSent: 0, pingsOk: 0, sent: 0, received: 0, error: null };
setTimeout(() => { out.error = 'driver time limit'; console.log(JSON.stringify(out)); process.exit(1); }, o.timeoutMs).unref();
if (o.pings > 0) {
  const udp = dgram.createSocket('udp4');
  for (let i = 0; i < o.pings; i++) {
    out.pingsSent++;
    const ok = await new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), 3000);
      udp.once('message', () => { clearTimeout(t); resolve(true); });
      udp.send(Buffer.from('ping ' + i), o.port + 1, o.host);
    });
    if (ok) out.pingsOk++;
  }
  udp.close();
}
try {
  await new Promise((resolve, reject) => {
    const s = net.connect(o.port, o.host, () => {
      const body = bytes(o.up);
      s.write('dnsward-tunnel-test ' + o.up + ' ' + o.down + '\n');
      s.write(body);
      out.sent = body.length;
    });
    s.on('data', (d) => { out.received += d.length; if (out.received >= o.down) { s.destroy(); resolve(); } });
    s.on('end', resolve);
    s.on('close', resolve);
    s.on('error', reject);
  });
} catch (e) { out.error = String(e && e.message); }
console.log(JSON.stringify(out));
process.exit(0);
`;

function nodeProc(name: string, source: string, args: unknown, maxSeconds: number, netns?: string): Proc {
  return startProc(
    name,
    process.execPath,
    ['--input-type=module', '-e', source, JSON.stringify(args)],
    maxSeconds,
    netns,
  );
}

type JsonLine = Partial<Record<string, unknown>>;

/** Last JSON line of a child's output with the given `type`. */
function lastJson(proc: Proc | undefined, type: string): JsonLine | undefined {
  if (!proc) return undefined;
  const lines = proc.output().split('\n').reverse();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    try {
      const v = JSON.parse(line) as JsonLine;
      if (v.type === type) return v;
    } catch {
      // partial line
    }
  }
  return undefined;
}

/** A numeric field of a JSON line, 0 when absent. */
function num(line: JsonLine | undefined, key: string): number {
  const v = line?.[key];
  return typeof v === 'number' ? v : 0;
}

function relayStats(proc: Proc | undefined): RelayStats {
  const s = lastJson(proc, 'stats');
  return {
    queries: num(s, 'queries'),
    queryBytes: num(s, 'queryBytes'),
    responses: num(s, 'responses'),
    responseBytes: num(s, 'responseBytes'),
  };
}

/** Reads relay stats after letting the child flush its 200 ms counter line. */
async function settledStats(proc: Proc | undefined): Promise<RelayStats> {
  await new Promise((r) => setTimeout(r, 300));
  return relayStats(proc);
}

/**
 * A relay pair: one end in the root namespace (`root`), the other inside `netns`, joined by a Unix socket.
 * direction 'to-root': the namespace listens on 127.0.0.1:53, the root end sends to `target` from `bind`.
 * direction 'to-netns': the root end listens on `target`, the namespace end sends to 127.0.0.1:53.
 */
async function startRelay(
  direction: 'to-root' | 'to-netns',
  netns: string,
  target: HostPort,
  bind: string | undefined,
  maxSeconds: number,
  dir: string,
): Promise<{ root: Proc; inner: Proc; port: number }> {
  const path = join(dir, `${direction}.sock`);
  const inNs = { host: '127.0.0.1', port: 53 };
  const rootRole = direction === 'to-root' ? 'connect' : 'listen';
  const innerRole = direction === 'to-root' ? 'listen' : 'connect';
  const common = { maxPeers: 512, idleMs: 15_000 };
  const root = nodeProc(
    `relay-${direction}-root`,
    RELAY_SOURCE,
    { ...common, role: rootRole, udp: target, bind, unix: { mode: 'listen', path } },
    maxSeconds,
  );
  const readyLine = await root.waitFor(/\{"type":"ready","port":\d+\}/, 10_000);
  const port = (JSON.parse(readyLine) as { port: number }).port;
  const inner = nodeProc(
    `relay-${direction}-netns`,
    RELAY_SOURCE,
    { ...common, role: innerRole, udp: inNs, bind: '127.0.0.1', unix: { mode: 'connect', path } },
    maxSeconds,
    netns,
  );
  await inner.waitFor(/"type":"ready"/, 12_000);
  return { root, inner, port: direction === 'to-netns' ? port : 53 };
}

function workDir(): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-tun-'));
  liveDirs.add(dir);
  return dir;
}

function removeWorkDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

// ---------------------------------------------------------------------------------------------------
// iodine
// ---------------------------------------------------------------------------------------------------

/** iodined, authoritative for `zone`, reachable by the resolver under test at host:port (UDP). */
export async function startIodineServer(opts: IodineServerOptions): Promise<TunnelServerHandle> {
  requireZone(opts.zone);
  requireLoopback('iodine server host', opts.host);
  const tun = opts.tunnelAddress ?? DEFAULT_TUN;
  const peerHost = requireTestNet('tunnelAddress', tun);
  const maxSeconds = opts.maxSeconds ?? 120;
  const dir = workDir();
  let ns: string | undefined;
  let relay: { root: Proc; inner: Proc; port: number } | undefined;
  let iodined: Proc | undefined;
  let peer: Proc | undefined;
  const stop = once(async (): Promise<void> => {
    await stopProc(peer);
    await stopProc(iodined);
    await stopProc(relay?.inner);
    await stopProc(relay?.root);
    await deleteNamespace(ns);
    removeWorkDir(dir);
  });
  try {
    ns = await createNamespace('s');
    const password = opts.password ?? DEFAULT_PASSWORD;
    iodined = startProc(
      'iodined',
      'iodined',
      ['-f', '-c', '-P', password, '-l', '127.0.0.1', '-p', '53', tun, opts.zone],
      maxSeconds,
      ns,
    );
    await iodined.waitFor(/Listening to dns for domain/, 10_000);
    await guardNamespace(ns);
    peer = nodeProc('iodine-peer', PEER_SOURCE, { host: peerHost, port: PEER_PORT }, maxSeconds, ns);
    await peer.waitFor(/"type":"ready"/, 10_000);
    relay = await startRelay(
      'to-netns',
      ns,
      { host: opts.host, port: opts.port },
      undefined,
      maxSeconds,
      dir,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return serverHandle('iodine', opts.zone, opts.host, relay, peer, iodined, stop);
}

/** Starts iodine in its own namespace against `resolver` and waits (bounded) for the tunnel. */
export async function startIodineClient(opts: IodineClientOptions): Promise<TunnelClientHandle> {
  requireZone(opts.zone);
  requireLoopback('resolver host', opts.resolver.host);
  const clientAddress = opts.clientAddress ?? '127.0.0.1';
  requireLoopback('clientAddress', clientAddress);
  if (isIP(clientAddress) !== isIP(opts.resolver.host))
    throw new Error('clientAddress and resolver must be the same IP family');
  const seconds = opts.seconds ?? 40;
  const dir = workDir();
  let ns: string | undefined;
  let relay: { root: Proc; inner: Proc; port: number } | undefined;
  let iodine: Proc | undefined;
  const stop = once(async (): Promise<RelayStats> => {
    await stopProc(iodine); // SIGTERM: iodine says goodbye to the server through the resolver
    const final = await settledStats(relay?.root);
    await stopProc(relay?.inner);
    await stopProc(relay?.root);
    await deleteNamespace(ns);
    removeWorkDir(dir);
    return final;
  });
  const t0 = Date.now();
  let connected = false;
  try {
    ns = await createNamespace('c');
    relay = await startRelay('to-root', ns, opts.resolver, clientAddress, seconds + 5, dir);
    // -r: no raw-UDP shortcut to the server's own address; the resolver is always named explicitly.
    const args = [
      '-f',
      '-r',
      '-P',
      opts.password ?? DEFAULT_PASSWORD,
      ...(opts.iodineArgs ?? []),
      '127.0.0.1',
      opts.zone,
    ];
    iodine = startProc('iodine', 'iodine', args, seconds, ns);
    try {
      await iodine.waitFor(/Connection setup complete/, Math.max(1000, seconds * 1000 - 2000));
      connected = true;
      await guardNamespace(ns);
    } catch {
      connected = false; // denied, refused or too slow: the caller asserts on `connected`
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const r = relay;
  const c = iodine;
  const handle: TunnelClientHandle = {
    connected,
    setupMs: connected ? Date.now() - t0 : null,
    clientAddress,
    stats: () => settledStats(r.root),
    log: () => c.output(),
    stop,
  };
  handleNamespaces.set(handle, ns);
  return handle;
}

/** One bounded iodine session: connect, ping, upload and download through the tun, idle, stop. */
export async function runIodineClient(opts: IodineClientOptions): Promise<TunnelRunResult> {
  const seconds = opts.seconds ?? 40;
  const deadline = Date.now() + seconds * 1000;
  const tunnelPeer = opts.tunnelPeer ?? DEFAULT_TUN.split('/')[0] ?? '';
  requireTestNet('tunnelPeer', `${tunnelPeer}/27`);
  const handle = await startIodineClient(opts);
  let driver: Proc | undefined;
  let result: JsonLine | undefined;
  try {
    if (handle.connected) {
      const left = Math.max(2, Math.floor((deadline - Date.now()) / 1000));
      const ns = nsOf(handle);
      driver = nodeProc(
        'iodine-driver',
        DRIVER_SOURCE,
        {
          host: tunnelPeer,
          port: PEER_PORT,
          up: opts.upBytes ?? 8000,
          down: opts.downBytes ?? 4000,
          pings: opts.pings ?? 3,
          timeoutMs: (left - 1) * 1000,
        },
        left,
        ns,
      );
      await driver.exited;
      result = lastJson(driver, 'result');
      await sleepUntil(Math.min(deadline, Date.now() + (opts.idleMs ?? 0)));
    }
    return {
      tool: 'iodine',
      connected: handle.connected,
      setupMs: handle.setupMs,
      bytesUp: num(result, 'sent'),
      bytesDown: num(result, 'received'),
      pingsSent: num(result, 'pingsSent'),
      pingsOk: num(result, 'pingsOk'),
      timedOut: Date.now() >= deadline || result?.error === 'driver time limit',
      dns: await handle.stop(),
      clientAddress: handle.clientAddress,
      clientLog: tail(handle.log()),
    };
  } finally {
    await stopProc(driver);
    await handle.stop();
  }
}

// The namespace a client handle lives in (kept off the public interface).
const handleNamespaces = new WeakMap<TunnelClientHandle, string>();
function nsOf(handle: TunnelClientHandle): string {
  const ns = handleNamespaces.get(handle);
  if (ns === undefined) throw new Error('unknown tunnel client handle');
  return ns;
}

async function sleepUntil(when: number): Promise<void> {
  const ms = when - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------------
// dns2tcp
// ---------------------------------------------------------------------------------------------------

/**
 * dns2tcpd, authoritative for `zone`, reachable at host:port. It runs in its own namespace like iodined
 * (behind the same counting relay, so tests can assert what reached it) with one resource, "payload",
 * pointing at the payload peer on the namespace's loopback.
 */
export async function startDns2tcpServer(opts: Dns2tcpServerOptions): Promise<TunnelServerHandle> {
  requireZone(opts.zone);
  requireLoopback('dns2tcp server host', opts.host);
  const maxSeconds = opts.maxSeconds ?? 120;
  const dir = workDir();
  let ns: string | undefined;
  let relay: { root: Proc; inner: Proc; port: number } | undefined;
  let dns2tcpd: Proc | undefined;
  let peer: Proc | undefined;
  const stop = once(async (): Promise<void> => {
    await stopProc(dns2tcpd);
    await stopProc(peer);
    await stopProc(relay?.inner);
    await stopProc(relay?.root);
    await deleteNamespace(ns);
    removeWorkDir(dir);
  });
  try {
    ns = await createNamespace('s');
    peer = nodeProc('dns2tcp-peer', PEER_SOURCE, { host: '127.0.0.1', port: PEER_PORT }, maxSeconds, ns);
    await peer.waitFor(/"type":"ready"/, 10_000);
    const conf = join(dir, 'dns2tcpd.conf');
    writeFileSync(
      conf,
      [
        'listen = 127.0.0.1',
        'port = 53',
        `domain = ${opts.zone}`,
        `key = ${opts.key ?? DEFAULT_PASSWORD}`,
        `resources = ${RESOURCE}:127.0.0.1:${PEER_PORT}`,
        '',
      ].join('\n'),
    );
    dns2tcpd = startProc('dns2tcpd', 'dns2tcpd', ['-F', '-d', '1', '-f', conf], maxSeconds, ns);
    await dns2tcpd.waitFor(/Listening on \S+ for domain/, 10_000);
    relay = await startRelay(
      'to-netns',
      ns,
      { host: opts.host, port: opts.port },
      undefined,
      maxSeconds,
      dir,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return serverHandle('dns2tcp', opts.zone, opts.host, relay, peer, dns2tcpd, stop);
}

function serverHandle(
  tool: 'iodine' | 'dns2tcp',
  zone: string,
  host: string,
  relay: { root: Proc; port: number },
  peer: Proc,
  server: Proc,
  stop: () => Promise<void>,
): TunnelServerHandle {
  return {
    tool,
    zone,
    address: { host, port: relay.port },
    stats: () => settledStats(relay.root),
    payload: () => {
      const s = lastJson(peer, 'payload');
      return { received: num(s, 'received'), sent: num(s, 'sent') };
    },
    log: () => server.output(),
    stop,
  };
}

/** Starts dns2tcpc in its own namespace against `resolver`, listening for the driver on 127.0.0.1:8081. */
export async function startDns2tcpClient(opts: Dns2tcpClientOptions): Promise<TunnelClientHandle> {
  requireZone(opts.zone);
  requireLoopback('resolver host', opts.resolver.host);
  const clientAddress = opts.clientAddress ?? '127.0.0.1';
  requireLoopback('clientAddress', clientAddress);
  if (isIP(clientAddress) !== isIP(opts.resolver.host))
    throw new Error('clientAddress and resolver must be the same IP family');
  const seconds = opts.seconds ?? 40;
  const dir = workDir();
  let ns: string | undefined;
  let relay: { root: Proc; inner: Proc; port: number } | undefined;
  let client: Proc | undefined;
  const stop = once(async (): Promise<RelayStats> => {
    await stopProc(client);
    const final = await settledStats(relay?.root);
    await stopProc(relay?.inner);
    await stopProc(relay?.root);
    await deleteNamespace(ns);
    removeWorkDir(dir);
    return final;
  });
  const t0 = Date.now();
  try {
    ns = await createNamespace('c');
    relay = await startRelay('to-root', ns, opts.resolver, clientAddress, seconds + 5, dir);
    const args = [
      '-z',
      opts.zone,
      '-k',
      opts.key ?? DEFAULT_PASSWORD,
      '-r',
      RESOURCE,
      '-l',
      String(DNS2TCP_LOCAL_PORT),
    ];
    args.push('-T', opts.queryType ?? 'TXT', '-d', '1', '127.0.0.1');
    client = startProc('dns2tcpc', 'dns2tcpc', args, seconds, ns);
    await client.waitFor(/Listening on port/, 5000);
  } catch (err) {
    await stop();
    throw err;
  }
  const r = relay;
  const c = client;
  const handle: TunnelClientHandle = {
    // dns2tcpc only talks to the server when a connection arrives; runDns2tcpClient sets this.
    connected: false,
    setupMs: Date.now() - t0,
    clientAddress,
    stats: () => settledStats(r.root),
    log: () => c.output(),
    stop,
  };
  handleNamespaces.set(handle, ns);
  return handle;
}

const DNS2TCP_LOCAL_PORT = 8081;

/** One bounded dns2tcp session: one TCP exchange through the tunnel (upload, then download), idle, stop. */
export async function runDns2tcpClient(opts: Dns2tcpClientOptions): Promise<TunnelRunResult> {
  const seconds = opts.seconds ?? 40;
  const deadline = Date.now() + seconds * 1000;
  const handle = await startDns2tcpClient(opts);
  let driver: Proc | undefined;
  try {
    const left = Math.max(2, Math.floor((deadline - Date.now()) / 1000));
    driver = nodeProc(
      'dns2tcp-driver',
      DRIVER_SOURCE,
      {
        host: '127.0.0.1',
        port: DNS2TCP_LOCAL_PORT,
        up: opts.upBytes ?? 8000,
        down: opts.downBytes ?? 8000,
        pings: 0,
        timeoutMs: (left - 1) * 1000,
      },
      left,
      nsOf(handle),
    );
    await driver.exited;
    const result = lastJson(driver, 'result');
    const log = handle.log();
    const connected = /Adding client auth OK/.test(log);
    await sleepUntil(Math.min(deadline, Date.now() + (opts.idleMs ?? 0)));
    return {
      tool: 'dns2tcp',
      connected,
      setupMs: connected ? handle.setupMs : null,
      bytesUp: connected ? num(result, 'sent') : 0,
      bytesDown: num(result, 'received'),
      pingsSent: 0,
      pingsOk: 0,
      timedOut: Date.now() >= deadline || result?.error === 'driver time limit',
      dns: await handle.stop(),
      clientAddress: handle.clientAddress,
      clientLog: tail(log),
    };
  } finally {
    await stopProc(driver);
    await handle.stop();
  }
}

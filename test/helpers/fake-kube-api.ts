// A loopback Kubernetes API server for pods only, speaking the real protocol: list with resourceVersion, watch
// streams replaying events after a resourceVersion, BOOKMARK events, 410 Gone after compaction, dropped streams,
// and chunked lists (limit/continue over a consistent snapshot; 410 Expired for a continue token past its time).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakePodSpec {
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
  readonly labels?: Record<string, string>;
  readonly ips: readonly string[];
  readonly serviceAccount?: string;
  readonly phase?: string;
}

interface PodJson {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels: Record<string, string>;
    resourceVersion: string;
  };
  spec: { serviceAccountName: string; nodeName: string; containers: { name: string }[] };
  status: { phase: string; podIP?: string; podIPs: { ip: string }[] };
}

interface WatchEvent {
  readonly rv: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: PodJson;
}

interface Watcher {
  readonly namespace: string | null;
  readonly res: ServerResponse;
  readonly bookmarks: NodeJS.Timeout | undefined;
}

export class FakeKubeApi {
  private server: Server | undefined;
  private readonly pods = new Map<string, PodJson>();
  private events: WatchEvent[] = [];
  private rv = 100;
  /** Watches from a resourceVersion below this get 410 Gone (the history was compacted). */
  private compactedBelow = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private uids = 0;
  port = 0;
  lists = 0;
  /** List requests that carried a continue token (the pages after the first). */
  continuedLists = 0;
  watches = 0;
  /** The snapshot each open chunked list reads from, by token id: what makes its pages consistent. */
  private snapshots = new Map<number, { readonly rv: number; readonly items: PodJson[] }>();
  private snapshotIds = 0;
  private expireNext = false;
  /** Watch start resourceVersions, as the client sent them. */
  readonly watchFrom: string[] = [];

  constructor(private readonly bookmarkMs = 200) {}

  /** Listens on `port` (0 = any; the same port again after a stop). */
  async start(port = this.port): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
  }

  /** Down: every connection cut, nothing listening. */
  async stop(): Promise<void> {
    this.dropWatches();
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A kubeconfig for the client: plain HTTP on loopback needs insecure-skip-tls-verify. */
  kubeconfig(): string {
    const dir = mkdtempSync(join(tmpdir(), 'pods-kubeconfig-'));
    const path = join(dir, 'kubeconfig.yaml');
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: fake\n  cluster:\n    server: http://127.0.0.1:${this.port}\n    insecure-skip-tls-verify: true`,
        'users:',
        '- name: dnsward\n  user:\n    token: test-token',
        'contexts:',
        '- name: fake\n  context:\n    cluster: fake\n    user: dnsward',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return path;
  }

  addPod(spec: FakePodSpec): PodJson {
    const pod = this.podJson(spec);
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const type = this.pods.has(key) ? 'MODIFIED' : 'ADDED';
    this.pods.set(key, pod);
    this.emit(type, pod);
    return pod;
  }

  deletePod(name: string, namespace = 'default'): void {
    const key = `${namespace}/${name}`;
    const pod = this.pods.get(key);
    if (!pod) throw new Error(`no pod ${key}`);
    this.pods.delete(key);
    this.emit('DELETED', { ...pod, metadata: { ...pod.metadata, resourceVersion: String(++this.rv) } });
  }

  /** Deletes a pod without telling watchers (the event is lost to compaction): only a relist can see it. */
  deleteSilently(name: string, namespace = 'default'): void {
    this.pods.delete(`${namespace}/${name}`);
    this.rv++;
  }

  /** Forgets the event history: a watch resuming from an older resourceVersion gets 410 Gone. */
  compact(): void {
    this.events = [];
    this.compactedBelow = this.rv + 1;
  }

  /** The next page asked for with a continue token finds it expired (the API server's last minutes): 410 Expired. */
  expireNextContinue(): void {
    this.expireNext = true;
  }

  /** Cuts every open watch stream mid-flight (no final chunk). */
  dropWatches(): void {
    for (const w of this.watchers) {
      clearInterval(w.bookmarks);
      w.res.socket?.destroy();
    }
    this.watchers.clear();
  }

  private podJson(spec: FakePodSpec): PodJson {
    return {
      metadata: {
        name: spec.name,
        namespace: spec.namespace ?? 'default',
        uid: spec.uid ?? `uid-${++this.uids}-${spec.name}`,
        labels: spec.labels ?? {},
        resourceVersion: String(++this.rv),
      },
      spec: {
        serviceAccountName: spec.serviceAccount ?? 'default',
        nodeName: 'node-1',
        containers: [{ name: 'c' }],
      },
      status: {
        phase: spec.phase ?? 'Running',
        ...(spec.ips[0] !== undefined && { podIP: spec.ips[0] }),
        podIPs: spec.ips.map((ip) => ({ ip })),
      },
    };
  }

  private emit(type: WatchEvent['type'], object: PodJson): void {
    const event = { rv: Number(object.metadata.resourceVersion), type, object };
    this.events.push(event);
    for (const w of this.watchers)
      if (w.namespace === null || w.namespace === object.metadata.namespace) send(w.res, event);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?pods$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"kind":"Status","code":404}');
      return;
    }
    const namespace = match[1] === undefined ? null : decodeURIComponent(match[1]);
    const watch = url.searchParams.get('watch');
    if (watch === 'true' || watch === '1') this.watch(namespace, url.searchParams, res);
    else this.list(namespace, url.searchParams, res);
  }

  private list(namespace: string | null, params: URLSearchParams, res: ServerResponse): void {
    this.lists++;
    const token = params.get('continue');
    let snapshot: { readonly rv: number; readonly items: PodJson[] } | undefined;
    let id: number;
    let offset = 0;
    if (token) {
      this.continuedLists++;
      if (this.expireNext) {
        this.expireNext = false;
        this.snapshots = new Map();
      }
      const [idText, offsetText] = token.split(':');
      id = Number(idText);
      offset = Number(offsetText);
      snapshot = this.snapshots.get(id);
      if (!snapshot) {
        const status = expired(
          'The provided continue parameter is too old to display a consistent list result.',
        );
        res.writeHead(410, { 'content-type': 'application/json' }).end(JSON.stringify(status));
        return;
      }
    } else {
      id = ++this.snapshotIds;
      snapshot = {
        rv: this.rv,
        items: [...this.pods.values()].filter(
          (p) => namespace === null || p.metadata.namespace === namespace,
        ),
      };
    }
    const limit = Number(params.get('limit') ?? 0);
    const end = limit > 0 ? Math.min(offset + limit, snapshot.items.length) : snapshot.items.length;
    const more = end < snapshot.items.length;
    if (more) this.snapshots.set(id, snapshot);
    else this.snapshots.delete(id);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: { resourceVersion: String(snapshot.rv), ...(more && { continue: `${id}:${end}` }) },
        items: snapshot.items.slice(offset, end),
      }),
    );
  }

  private watch(namespace: string | null, params: URLSearchParams, res: ServerResponse): void {
    this.watches++;
    const from = params.get('resourceVersion') ?? '';
    this.watchFrom.push(from);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const since = from === '' || from === '0' ? this.rv : Number(from);
    if (since < this.compactedBelow - 1) {
      // the API server's answer to a resourceVersion older than its history: an ERROR event, then the end
      res.end(`${JSON.stringify({ type: 'ERROR', object: expired('too old resource version') })}\n`);
      return;
    }
    for (const event of this.events)
      if (event.rv > since && (namespace === null || event.object.metadata.namespace === namespace))
        send(res, event);
    const bookmarks =
      params.get('allowWatchBookmarks') === 'true'
        ? setInterval(() => {
            const bookmark = {
              kind: 'Pod',
              apiVersion: 'v1',
              metadata: { resourceVersion: String(this.rv) },
            };
            res.write(`${JSON.stringify({ type: 'BOOKMARK', object: bookmark })}\n`);
          }, this.bookmarkMs)
        : undefined;
    const watcher = { namespace, res, bookmarks };
    this.watchers.add(watcher);
    res.on('close', () => {
      clearInterval(bookmarks);
      this.watchers.delete(watcher);
    });
  }
}

/** The API server's 410 Gone Status (reason Expired): a watch too far behind, or a stale continue token. */
function expired(message: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message };
}

function send(res: ServerResponse, event: WatchEvent): void {
  res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
}

// The pod watch: @kubernetes/client-node's ListWatch per namespace (list, watch from resourceVersion, bookmarks,
// relist on 410) feeding the pod map; restarts with backoff after errors, resyncs the map from its cache.
import { CoreV1Api, KubeConfig, ListWatch, Watch, type KubernetesListObject } from '@kubernetes/client-node';
import type { KubernetesConfig } from '../config/sections/kubernetes.js';
import { Backoff } from '../lib/backoff.js';
import type { Logger } from '../log/logger.js';
import { PodMap, type PodRecord } from './pod-map.js';
import { PodTrimmer, type Pod } from './pod-trim.js';

/** Pods per list page (kubectl's chunk size): a large cluster never arrives as one response held whole. */
const LIST_PAGE_SIZE = 500;
/** A list restarted after its continue token expired (410) this many times in a row fails, to the retry path. */
const LIST_RESTARTS = 3;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;
/** Distinct unknown addresses logged before the set is cleared (the counter counts them all). */
const UNKNOWN_LOG_LIMIT = 1024;

export interface PodWatchOptions {
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  readonly listPageSize?: number;
}

/** A watch on one scope: every namespace (null) or one. */
interface Scope {
  readonly namespace: string | null;
  readonly informer: ListWatch<Pod>;
  synced: boolean;
  connects: number;
  readonly backoff: Backoff;
  retry: NodeJS.Timeout | undefined;
}

export class PodWatch {
  readonly map = new PodMap();
  /** Watch (re)connections after the first, and restarts after errors. */
  restarts = 0;
  /** Queries from an address no known pod holds. */
  unknown = 0;
  private readonly scopes: Scope[];
  private readonly unknownLogged = new Set<string>();
  private stopped = false;
  private resync: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: KubernetesConfig,
    private readonly log: Logger,
    options: PodWatchOptions = {},
  ) {
    const kc = loadKubeConfig(config);
    const api = kc.makeApiClient(CoreV1Api);
    const trimmer = new PodTrimmer();
    const watch = new TrimmingWatch(kc, trimmer);
    const namespaces = config.namespaces.length > 0 ? config.namespaces : [null];
    this.scopes = namespaces.map((namespace) => {
      const path =
        namespace === null ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
      const limit = options.listPageSize ?? LIST_PAGE_SIZE;
      const page = (cont: string | undefined): Promise<KubernetesListObject<Pod>> => {
        const chunk = cont === undefined ? { limit } : { limit, _continue: cont };
        return namespace === null
          ? api.listPodForAllNamespaces(chunk)
          : api.listNamespacedPod({ namespace, ...chunk });
      };
      const list = () => listInPages(page, trimmer);
      const informer = new ListWatch<Pod>(path, watch, list, false);
      const backoff = new Backoff({
        baseMs: options.retryBaseMs ?? RETRY_BASE_MS,
        maxMs: options.retryMaxMs ?? RETRY_MAX_MS,
      });
      const scope: Scope = { namespace, informer, synced: false, connects: 0, backoff, retry: undefined };
      watch.onWatching(path, () => this.watching(scope));
      informer.on('add', (pod) => this.map.upsert(pod));
      informer.on('update', (pod) => this.map.upsert(pod));
      informer.on('delete', (pod) => this.map.remove(pod));
      informer.on('connect', () => {
        if (scope.connects++ > 0) this.restarts++;
      });
      informer.on('error', (error: unknown) => this.failed(scope, error));
      return scope;
    });
  }

  /** True once every scope has listed its pods (until then no address can be attributed to a pod). */
  get synced(): boolean {
    return this.scopes.every((s) => s.synced);
  }

  start(): void {
    this.stopped = false;
    for (const scope of this.scopes) void scope.informer.start();
    const every = this.config.resyncInterval;
    if (every > 0) this.resync = setInterval(() => this.resyncFromCache(), every).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resync);
    for (const scope of this.scopes) clearTimeout(scope.retry);
    await Promise.all(this.scopes.map((s) => s.informer.stop()));
  }

  lookup(address: string): PodRecord | undefined {
    return this.map.lookup(address);
  }

  /** Counts (and logs, once per address while the set is small) a query no known pod sent. */
  noteUnknown(address: string): void {
    this.unknown++;
    if (this.unknownLogged.has(address)) return;
    if (this.unknownLogged.size >= UNKNOWN_LOG_LIMIT) this.unknownLogged.clear();
    this.unknownLogged.add(address);
    this.log.info({ clientIp: address, reason: 'unknown-pod' }, 'query from an address no known pod holds');
  }

  /** Rebuilds the address index from the informers' caches: repairs any drift between the two. */
  resyncFromCache(): void {
    this.map.replaceAll(this.scopes.flatMap((s) => s.informer.list()));
  }

  /** The informer listed (or resumed) and is about to watch: this scope is in sync. */
  private watching(scope: Scope): void {
    scope.backoff.reset();
    if (scope.synced) return;
    scope.synced = true;
    this.log.info({ namespace: scope.namespace ?? '*', pods: this.map.size }, 'pod watch synced');
  }

  /** The ListWatch stops on an error other than 410: start it again (resuming from its resourceVersion). */
  private failed(scope: Scope, error: unknown): void {
    if (this.stopped) return;
    const retryMs = scope.backoff.next();
    this.log.warn(
      { namespace: scope.namespace ?? '*', error: String(error), retryMs, pods: this.map.size },
      'pod watch failed; keeping the last known pods and retrying',
    );
    clearTimeout(scope.retry);
    scope.retry = setTimeout(() => {
      if (this.stopped) return;
      this.restarts++;
      void scope.informer.start();
    }, retryMs);
    scope.retry.unref();
  }
}

/** In-cluster service-account config unless a kubeconfig file is named. */
function loadKubeConfig(config: KubernetesConfig): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig === undefined) kc.loadFromCluster();
  else kc.loadFromFile(config.kubeconfig);
  return kc;
}

/**
 * The client's Watch, asking for bookmarks and keeping only the fields dnsward reads of each pod (pod-trim.ts), so
 * the informer's cache holds a few hundred bytes a pod instead of the whole object; tells the owner when a watch
 * starts.
 */
class TrimmingWatch extends Watch {
  private readonly listeners = new Map<string, () => void>();

  constructor(
    config: KubeConfig,
    private readonly trimmer: PodTrimmer,
  ) {
    super(config);
  }

  /** `listener` runs each time a watch on `path` starts: after its list was applied, or on a resume. */
  onWatching(path: string, listener: () => void): void {
    this.listeners.set(path, listener);
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.listeners.get(path)?.();
    return super.watch(
      path,
      { ...queryParams, allowWatchBookmarks: true },
      (phase, object, raw) =>
        callback(phase, phase === 'ERROR' ? object : this.trimmer.trim(object as Pod), raw),
      done,
    );
  }
}

/**
 * The whole list, page by page (Kubernetes chunking: every page from the first page's snapshot), each pod trimmed
 * as its page arrives. A continue token that expired mid-list (410) starts the list again: the informer needs one
 * consistent snapshot, not a list stitched from two.
 */
async function listInPages(
  page: (cont: string | undefined) => Promise<KubernetesListObject<Pod>>,
  trimmer: PodTrimmer,
): Promise<KubernetesListObject<Pod>> {
  for (let restarts = 0; ; restarts++) {
    const items: Pod[] = [];
    let cont: string | undefined;
    try {
      for (;;) {
        const list = await page(cont);
        for (const pod of list.items) items.push(trimmer.trim(pod));
        cont = list.metadata?._continue;
        if (!cont) return { ...list, items };
      }
    } catch (error) {
      const expired = cont !== undefined && (error as { code?: unknown }).code === 410;
      if (!expired || restarts >= LIST_RESTARTS) throw error;
    }
  }
}

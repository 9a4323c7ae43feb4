// Opens the Store a `store.url` names: absent or `sqlite:<path>` = the SQLite file, `postgres://…` = PostgreSQL.
import { hostname } from 'node:os';
import { DnswardError } from '../errors.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** store.instance; default $POD_NAME, else the hostname. */
  readonly instance?: string | null | undefined;
  readonly retentionMs?: number | undefined;
  readonly passwordFile?: string | null | undefined;
  /** CLI readers: no writes, no migrations. */
  readonly readonly?: boolean | undefined;
  /** SQLite only: store.queryLogMaxMiB in bytes (null: no cap). */
  readonly queryLogMaxBytes?: number | null | undefined;
  /** SQLite only: the lock wait of this connection (the answer thread uses a few ms). */
  readonly busyTimeoutMs?: number | undefined;
}

export function defaultInstance(env: NodeJS.ProcessEnv = process.env): string {
  return env.POD_NAME !== undefined && env.POD_NAME !== '' ? env.POD_NAME : hostname();
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** `url` is a store URL or, as `--db` always took, a bare SQLite path. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const instance = options.instance ?? defaultInstance();
  const retentionMs = options.retentionMs ?? 30 * 86_400_000;
  if (isPostgresUrl(url)) {
    try {
      return await PostgresStore.open(url, {
        instance,
        retentionMs,
        passwordFile: options.passwordFile,
        migrate: options.readonly !== true,
      });
    } catch (error) {
      throw new DnswardError('DNSWARD_ERR_STORE', `cannot open store ${redact(url)}: ${String(error)}`, [], {
        cause: error,
      });
    }
  }
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url;
  return new SqliteStore(path, {
    instance,
    retentionMs,
    readonly: options.readonly === true,
    queryLogMaxBytes: options.queryLogMaxBytes ?? null,
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
  });
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

/** The store section's fields that say where the store is (config/sections/store.ts). */
export interface StoreLocation {
  readonly url: string | null;
  readonly path: string;
  readonly instance: string | null;
  readonly passwordFile: string | null;
  readonly retentionDays: number;
  /** SQLite: the query log stops growing at this many MiB in use (null: no cap). */
  readonly queryLogMaxMiB?: number | null;
}

export function storeUrl(location: Pick<StoreLocation, 'url' | 'path'>): string {
  return location.url ?? `sqlite:${location.path}`;
}

/** The store a config's `store` section names, for the server (migrated at open). */
export function openConfiguredStore(
  location: StoreLocation,
  options: { readonly readonly?: boolean; readonly busyTimeoutMs?: number } = {},
): Promise<Store> {
  const maxMiB = location.queryLogMaxMiB ?? null;
  return openStore(storeUrl(location), {
    instance: location.instance,
    retentionMs: location.retentionDays * 86_400_000,
    passwordFile: location.passwordFile,
    readonly: options.readonly,
    queryLogMaxBytes: maxMiB === null ? null : maxMiB * 1024 * 1024,
    busyTimeoutMs: options.busyTimeoutMs,
  });
}

// The store a CLI command reads or writes: `--db` (a SQLite file, sqlite:<path> or postgres://…), else the
// config's store section (`--config`), else dnsward.db in the working directory.
import { loadConfig } from '../config/load.js';
import { openConfiguredStore, openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';

export interface StoreTargetOptions {
  readonly db?: string | undefined;
  readonly config?: string | undefined;
}

/** `readonly` for reads: no migrations, no writes (the server may be writing). */
export async function openCliStore(options: StoreTargetOptions, readonly: boolean): Promise<Store> {
  if (options.db !== undefined) return openStore(options.db, { readonly });
  if (options.config !== undefined)
    return openConfiguredStore(loadConfig(options.config).config.store, { readonly });
  return openStore('dnsward.db', { readonly });
}

/** Opens the store, runs `fn`, closes the store whatever happens. */
export async function withCliStore<T>(
  options: StoreTargetOptions,
  readonly: boolean,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  const store = await openCliStore(options, readonly);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export const DB_OPTION = [
  '--db <url>',
  "store: SQLite file, sqlite:<path> or postgres://… (default: the config's store, else dnsward.db)",
] as const;
export const CONFIG_OPTION = ['--config <file>', 'YAML config whose store section names the store'] as const;

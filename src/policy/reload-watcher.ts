// Hot reload on file change: watches the directories holding the config and allowlist files (not the files:
// editors replace files by rename, Kubernetes swaps a ConfigMap's `..data` symlink), debounces bursts of
// events into one reload, and re-targets itself after each reload as the set of files changes.
import { realpathSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { groupAllowlistFiles } from './allowlist-file.js';

export interface WatchLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface ReloadWatcherOptions {
  /** Called once per burst of changes, `debounceMs` after the last event. */
  readonly onChange: (changed: readonly string[]) => void;
  readonly debounceMs?: number;
  readonly log?: WatchLog;
}

interface WatchedDir {
  readonly watcher: FSWatcher;
  names: Set<string>;
}

/** The config file (if any) and every allowlist file its groups name, as absolute paths. */
export function policyFiles(loaded: LoadedConfig): string[] {
  const files = new Set<string>();
  if (loaded.file !== null) files.add(loaded.file);
  for (const group of loaded.config.groups) {
    for (const { path } of groupAllowlistFiles(loaded, group)) files.add(path);
  }
  return [...files];
}

export class ReloadWatcher {
  private readonly dirs = new Map<string, WatchedDir>();
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: ReloadWatcherOptions) {}

  /** Watches exactly the directories of `files` (and of their symlink targets outside those directories). */
  watch(files: readonly string[]): void {
    if (this.closed) return;
    const wanted = new Map<string, Set<string>>();
    const want = (file: string): void => {
      const dir = dirname(file);
      const names = wanted.get(dir) ?? new Set<string>();
      names.add(basename(file));
      wanted.set(dir, names);
    };
    for (const file of files) {
      want(file);
      try {
        const real = realpathSync(file);
        // a ConfigMap's `file -> ..data/file` stays inside the directory, whose `..data` swap is seen already
        const rel = relative(dirname(file), real);
        if (real !== file && (rel.startsWith(`..${sep}`) || isAbsolute(rel))) want(real);
      } catch {
        // missing for now: its directory is watched, so its creation triggers a reload
      }
    }
    for (const [dir, entry] of this.dirs) {
      if (!wanted.has(dir)) {
        entry.watcher.close();
        this.dirs.delete(dir);
      }
    }
    for (const [dir, names] of wanted) {
      const existing = this.dirs.get(dir);
      if (existing) {
        existing.names = names;
        continue;
      }
      try {
        const watcher = watch(dir, { persistent: false }, (_event, filename) => this.onEvent(dir, filename));
        watcher.on('error', (error) => {
          this.options.log?.warn(
            { dir, err: error },
            'file watch failed; SIGHUP or `dnsward reload` still reload',
          );
          watcher.close();
          this.dirs.delete(dir);
        });
        this.dirs.set(dir, { watcher, names });
      } catch (error) {
        this.options.log?.warn(
          { dir, err: error },
          'cannot watch directory; SIGHUP or `dnsward reload` still reload',
        );
      }
    }
  }

  /** Directories currently watched (for logs and tests). */
  get directories(): string[] {
    return [...this.dirs.keys()];
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const entry of this.dirs.values()) entry.watcher.close();
    this.dirs.clear();
  }

  private onEvent(dir: string, filename: string | null): void {
    const entry = this.dirs.get(dir);
    if (!entry || this.closed) return;
    // other files in the directory (the database and its WAL, editor swap files) are not ours; names starting
    // with ".." are a ConfigMap's `..data` / `..2024_…` swap; a null name means "something changed here"
    if (filename !== null && !entry.names.has(filename) && !filename.startsWith('..')) return;
    this.changed.add(filename === null ? dir : resolve(dir, filename));
    this.options.log?.debug({ dir, file: filename }, 'policy file changed');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const changed = [...this.changed];
      this.changed.clear();
      this.options.onChange(changed);
    }, this.options.debounceMs ?? 200);
    this.timer.unref();
  }
}

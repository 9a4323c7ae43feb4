// Reload in one place: the policy in force, and reload(trigger) that re-reads config + allowlists, swaps the
// policy in one assignment when it changed, and keeps the last good policy on any error.
import { readFileSync } from 'node:fs';
import type { LoadedConfig } from '../config/load.js';
import { DnswardError } from '../errors.js';
import type { PolicyLoadTrigger } from '../model/policy-version.js';
import { compilePolicy, type Policy } from './compile.js';
import type { PodSource } from './pod-identity.js';
import { policyFiles } from './reload-watcher.js';

export interface ReloadResult {
  readonly ok: boolean;
  readonly version: string;
  readonly errors: readonly string[];
  /** False when the reloaded files compile to the policy already in force. */
  readonly changed: boolean;
  /** Changed config sections a reload does not apply (listen, upstreams, store, …): restart for those. */
  readonly restartRequired: readonly string[];
}

/** What asked for a reload (logged). */
export type ReloadTrigger = Exclude<PolicyLoadTrigger, 'start'>;

export interface ReloadLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ReloadHooks {
  /** Reads the config again: the same file and CLI overrides the server started with. */
  readonly load: () => LoadedConfig;
  readonly log: ReloadLog;
  /** A policy came into force (the first one too, trigger "start"): metrics, warnings, the policy history. */
  readonly onPolicy?: (policy: Policy, trigger: PolicyLoadTrigger) => void;
  /** Every reload's outcome, for dnsward_policy_reloads_total. */
  readonly onReloaded?: (ok: boolean) => void;
  /** The files that should trigger the next reload (the file watcher re-targets itself). */
  readonly watch?: (files: readonly string[]) => void;
  /** The pod map group selectors match against (identity.kubernetes); kept across reloads, never rebuilt. */
  readonly pods?: PodSource | undefined;
}

export class PolicyReloader {
  /** The active Policy: one assignment swaps it, so a query sees the old policy or the new, never a mix. */
  current: Policy;
  /** The config in force for groups/identity; other sections stay as started (a change needs a restart). */
  private loaded: LoadedConfig;

  /** Compiles the first policy; throws when it does not compile (the server does not start). */
  constructor(
    private readonly started: LoadedConfig,
    private readonly hooks: ReloadHooks,
  ) {
    this.current = compilePolicy(started, Date.now(), hooks.pods);
    this.loaded = started;
    hooks.onPolicy?.(this.current, 'start');
  }

  /** The config file and the allowlists of the config in force: what a file watcher should watch. */
  get files(): string[] {
    return policyFiles(this.loaded);
  }

  /** Re-reads the config file and allowlists; on any error the running policy stays. */
  reload(trigger: ReloadTrigger = 'signal', changedFiles: readonly string[] = []): ReloadResult {
    const { log } = this.hooks;
    const previous = this.current.version;
    let next: LoadedConfig | undefined;
    try {
      // a file caught between an editor's truncate and write would read as "no entries": refuse it
      refuseEmpty(this.loaded.file === null ? [] : [this.loaded.file]);
      next = this.hooks.load();
      refuseEmpty(policyFiles(next));
      // selectors recompile; the pod map stays (identity.kubernetes itself needs a restart)
      const policy = compilePolicy(next, Date.now(), this.hooks.pods);
      const changed = policy.version !== previous;
      if (changed) this.current = policy;
      this.loaded = next;
      this.hooks.watch?.(policyFiles(next));
      this.hooks.onReloaded?.(true);
      if (changed) this.hooks.onPolicy?.(policy, trigger);
      const restartRequired = sectionsNeedingRestart(this.started.config, next.config);
      if (restartRequired.length > 0) {
        log.warn(
          { sections: restartRequired },
          'config sections changed that a reload does not apply (listen addresses, upstreams, store, metrics, …): restart dnsward for them',
        );
      }
      log.info(
        { policy: policy.version, previous, trigger, files: changedFiles },
        changed ? 'policy reloaded' : 'policy reloaded: unchanged',
      );
      return { ok: true, version: policy.version, errors: [], changed, restartRequired };
    } catch (error) {
      const errors = error instanceof DnswardError ? [error.message, ...error.details] : [String(error)];
      this.hooks.onReloaded?.(false);
      // keep watching the files the broken config names too, so fixing any of them reloads
      if (next) this.hooks.watch?.([...policyFiles(this.loaded), ...policyFiles(next)]);
      log.error(
        { errors, policy: previous, trigger, files: changedFiles },
        'reload failed; keeping the last good policy',
      );
      return { ok: false, version: previous, errors, changed: false, restartRequired: [] };
    }
  }
}

function refuseEmpty(files: readonly string[]): void {
  const empty = emptyFiles(files);
  if (empty.length === 0) return;
  throw new DnswardError(
    'DNSWARD_ERR_ALLOWLIST',
    `${empty.length} empty file(s)`,
    empty.map((file) => `${file}:1 (file): empty (still being written?)`),
  );
}

/**
 * Files that exist but hold nothing but whitespace: most likely caught between an editor's truncate and
 * write. Such a file would parse as "no entries" (or an all-default config), so a reload refuses it.
 */
export function emptyFiles(files: readonly string[]): string[] {
  return files.filter((file) => {
    try {
      return readFileSync(file, 'utf8').trim() === '';
    } catch {
      return false; // a missing file is reported by the loader with its own message
    }
  });
}

/** Config sections a reload puts in force; every other section is read once at start. */
const RELOADABLE_SECTIONS: ReadonlySet<string> = new Set(['groups', 'identity']);

/**
 * Top-level config sections (listen, upstreams, cache, store, metrics, …) that differ between the running
 * config and a reloaded one: the reload keeps their old values and the change needs a restart.
 */
export function sectionsNeedingRestart(running: object, next: object): string[] {
  const keys = new Set([...Object.keys(running), ...Object.keys(next)]);
  return [...keys]
    .filter((key) => !RELOADABLE_SECTIONS.has(key))
    .filter(
      (key) =>
        JSON.stringify((running as Record<string, unknown>)[key]) !==
        JSON.stringify((next as Record<string, unknown>)[key]),
    )
    .sort();
}

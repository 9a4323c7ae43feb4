// Load the config: YAML file or the embedded default -> zod -> CLI overrides -> frozen LoadedConfig.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DnswardError } from '../errors.js';
import { DEFAULT_CONFIG_YAML } from './default-config.js';
import { parseHostPort, type HostPort } from './host-port.js';
import { resolvConfNameservers } from './resolv-conf.js';
import { configSchema, type Config } from './schema.js';
import { implicitGroup } from './sections/groups.js';
import { parseYaml } from './yaml-source.js';

/** The repository (or installed package) root: where the embedded default finds `allowlists/`. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** How messages name the config when no file was given. */
export const EMBEDDED_DEFAULT = '(embedded default)';

/** `--db` values that are store URLs rather than SQLite file paths. */
const STORE_URL = /^(?:sqlite|postgres|postgresql):/i;

export interface LoadedConfig {
  readonly config: Config;
  /** Absolute path of the config file, or null for the embedded default. */
  readonly file: string | null;
  /** Relative allowlist paths resolve against this. */
  readonly baseDir: string;
  /** Upstreams actually used when `upstreams.default` is empty. */
  readonly defaultUpstreams: readonly HostPort[];
}

/** Where a group's allowlist file is: relative paths resolve against the config file's directory. */
export function allowlistPath(loaded: LoadedConfig, file: string): string {
  return isAbsolute(file) ? file : resolve(loaded.baseDir, file);
}

/** Flags of `dnsward serve` and friends that override the file. */
export interface ConfigOverrides {
  readonly listen?: string | undefined;
  readonly upstream?: readonly string[] | undefined;
  readonly allowlist?: readonly string[] | undefined;
  readonly mode?: 'enforce' | 'audit' | undefined;
  readonly db?: string | undefined;
  readonly metrics?: string | undefined;
}

export function loadConfig(file: string | undefined, overrides: ConfigOverrides = {}): LoadedConfig {
  let text = DEFAULT_CONFIG_YAML;
  let path: string | null = null;
  if (file !== undefined) {
    path = resolve(file);
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new DnswardError('DNSWARD_ERR_CONFIG', `${file}: cannot read`, [
        `${file}:1 (file): ${String(error)}`,
      ]);
    }
  }
  const { value } = parseYaml(file ?? EMBEDDED_DEFAULT, text, configSchema, 'DNSWARD_ERR_CONFIG');
  const config = applyOverrides(value, overrides);
  const defaultUpstreams =
    config.upstreams.default.length > 0 ? config.upstreams.default : resolvConfNameservers();
  return deepFreeze({
    config,
    file: path,
    baseDir: path === null ? PACKAGE_ROOT : dirname(path),
    defaultUpstreams,
  });
}

function applyOverrides(config: Config, overrides: ConfigOverrides): Config {
  const out = structuredClone(config);
  if (overrides.listen !== undefined) {
    const listen = flagHostPort('--listen', overrides.listen, 53);
    out.listen.udp = [listen];
    out.listen.tcp = [listen];
  }
  if (overrides.upstream?.length) {
    out.upstreams.default = overrides.upstream.map((text) => flagHostPort('--upstream', text, 53));
  }
  // a URL names the engine (sqlite:<path>, postgres://…); a bare path is today's SQLite file
  if (overrides.db !== undefined) {
    if (STORE_URL.test(overrides.db)) out.store.url = overrides.db;
    else out.store.path = overrides.db;
  }
  if (overrides.metrics !== undefined)
    out.metrics.listen = flagHostPort('--metrics', overrides.metrics, 9153);
  if (overrides.allowlist?.length || overrides.mode !== undefined) {
    const name = out.identity.defaultGroup;
    let group = out.groups.find((g) => g.name === name);
    if (!group) {
      // the default group was implicit (deny-all); the flags configure it
      group = implicitGroup(name, 4, 'REFUSED');
      out.groups.push(group);
    }
    if (overrides.allowlist?.length) group.allowlists = overrides.allowlist.map((f) => resolve(f));
    if (overrides.mode !== undefined) group.mode = overrides.mode;
  }
  return out;
}

function flagHostPort(flag: string, text: string, defaultPort: number): HostPort {
  const parsed = parseHostPort(text, defaultPort);
  if (!parsed) throw new DnswardError('DNSWARD_ERR_USAGE', `${flag}: expected ADDR:PORT, got "${text}"`);
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// The benchmark's data: a generated zone for the authoritative upstream and one dnsperf input file per workload.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ZONE = 'bench.example';
/** Names below this label resolve through a wildcard: every query there is a cache miss for the resolver. */
export const MISS_ZONE = `miss.${ZONE}`;
/** A name outside the allowlist that no server under test forwards. */
export const DENIED_SUFFIX = 'denied.test';
/** Answers live an hour, so nothing cached expires during a run. */
export const ANSWER_TTL = 3600;

export interface BenchData {
  readonly zoneFile: string;
  /** Workload name -> dnsperf input file. */
  readonly files: Readonly<Record<Workload, string>>;
  /** Lines in the cache-miss file: a run answering more than this wrapped around and hit the cache. */
  readonly missLines: number;
  readonly names: number;
}

export const WORKLOADS = ['cached', 'denied', 'mix', 'miss'] as const;
export type Workload = (typeof WORKLOADS)[number];

export const WORKLOAD_LABELS: Readonly<Record<Workload, string>> = {
  cached: 'cached allowed',
  denied: 'denied',
  mix: '80/20 allowed/denied',
  miss: 'cache-miss allowed',
};

export function hostName(i: number): string {
  return `h${String(i).padStart(5, '0')}.${ZONE}`;
}

export function deniedName(i: number): string {
  return `n${String(i).padStart(5, '0')}.${DENIED_SUFFIX}`;
}

/** A unique name under the wildcard; `run` keeps names of different runs apart. */
export function missName(run: string, i: number): string {
  return `u${run}${i.toString(36)}.${MISS_ZONE}`;
}

export function writeZoneFile(dir: string, names: number): string {
  const lines = [
    `$ORIGIN ${ZONE}.`,
    `$TTL ${ANSWER_TTL}`,
    `@ IN SOA ns.${ZONE}. hostmaster.${ZONE}. 1 3600 600 86400 300`,
    `@ IN NS ns.${ZONE}.`,
    'ns IN A 127.0.0.1',
    `*.miss IN A 198.51.100.1`,
  ];
  for (let i = 0; i < names; i++) {
    lines.push(`${hostName(i).slice(0, -(ZONE.length + 1))} IN A 192.0.2.${(i % 250) + 1}`);
  }
  const file = join(dir, `${ZONE}.zone`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  // the same names as unbound local-data, for when nsd is not installed
  const localData: string[] = [];
  for (let i = 0; i < names; i++) {
    localData.push(`  local-data: "${hostName(i)}. ${ANSWER_TTL} IN A 192.0.2.${(i % 250) + 1}"`);
  }
  writeFileSync(`${file}.unbound`, `${localData.join('\n')}\n`);
  return file;
}

/** Writes `count` lines of "name A", built by `name(i)`, in chunks (millions of lines stay cheap). */
export function writeQueryFile(file: string, count: number, name: (i: number) => string): string {
  const chunks: string[] = [];
  let chunk = '';
  for (let i = 0; i < count; i++) {
    chunk += `${name(i)} A\n`;
    if (chunk.length > 1 << 20) {
      chunks.push(chunk);
      chunk = '';
    }
  }
  chunks.push(chunk);
  writeFileSync(file, chunks.join(''));
  return file;
}

export function writeBenchData(dir: string, names: number, missLines: number): BenchData {
  const zoneFile = writeZoneFile(dir, names);
  const files: Record<Workload, string> = {
    cached: writeQueryFile(join(dir, 'cached.txt'), names, hostName),
    denied: writeQueryFile(join(dir, 'denied.txt'), names, deniedName),
    // 4 allowed (cached) then 1 denied, repeating: 80/20
    mix: writeQueryFile(join(dir, 'mix.txt'), names, (i) =>
      i % 5 === 4 ? deniedName(i) : hostName(i - Math.floor(i / 5)),
    ),
    miss: writeQueryFile(join(dir, 'miss.txt'), missLines, (i) => missName('m', i)),
  };
  return { zoneFile, files, missLines, names };
}

// Compares the reader's DNS records with tshark's dissection of the same file, frame by frame.
import assert from 'node:assert/strict';

import { readCapture } from '../../../src/pcap/read-capture.js';
import type { CapturedDns, CapturedRecord, ReadOptions, ReadStats } from '../../../src/pcap/records.js';
import { epochToMicros, tsharkFields } from '../../helpers/tshark.js';

export async function readAll(
  path: string,
  options: ReadOptions = {},
): Promise<{ records: CapturedRecord[]; stats: ReadStats }> {
  const read = readCapture(path, options);
  const records: CapturedRecord[] = [];
  for await (const record of read.records) records.push(record);
  return { records, stats: read.stats };
}

interface Question {
  name: string;
  printable: boolean;
  type: number;
}

/** Questions of a DNS message, names as tshark prints printable ones ("<Root>" for the root). */
export function questions(msg: Buffer): Question[] {
  if (msg.length < 12) return [];
  const out: Question[] = [];
  let at = 12;
  for (let q = 0; q < msg.readUInt16BE(4); q++) {
    const labels: string[] = [];
    let printable = true;
    let cursor = at;
    let end = -1;
    for (let hops = 0; hops < 128; hops++) {
      const len = msg[cursor];
      if (len === undefined) return out;
      if (len === 0) {
        if (end < 0) end = cursor + 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (end < 0) end = cursor + 2;
        cursor = ((len & 0x3f) << 8) | (msg[cursor + 1] ?? 0);
        continue;
      }
      const label = msg.subarray(cursor + 1, cursor + 1 + len);
      if (label.length < len) return out;
      if (label.some((c) => c < 0x21 || c > 0x7e || c === 0x2e || c === 0x5c)) printable = false;
      labels.push(label.toString('latin1'));
      cursor += 1 + len;
    }
    if (end < 0 || end + 4 > msg.length) return out;
    out.push({
      name: labels.length === 0 ? '<Root>' : labels.join('.'),
      printable,
      type: msg.readUInt16BE(end),
    });
    at = end + 4;
  }
  return out;
}

const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'ip.src',
  'ipv6.src',
  'ip.dst',
  'ipv6.dst',
  'udp.srcport',
  'tcp.srcport',
  'udp.dstport',
  'tcp.dstport',
  'dns.id',
  'dns.qry.name',
  'dns.qry.type',
  'dns.response_to',
] as const;

export interface Comparison {
  /** DNS messages tshark dissected (several per frame for pipelined TCP). */
  tsharkMessages: number;
  ourMessages: number;
  framesCompared: number;
  namesCompared: number;
  /** Names with bytes tshark renders lossily (non-printable), compared by count only. */
  namesSkipped: number;
  /** Responses tshark matched to a query (dns.response_to). */
  tsharkAnswered: number;
  /** What the reader produced, for further checks without reading the file again. */
  records: CapturedRecord[];
}

export interface CompareOptions extends ReadOptions {
  /** tshark "decode as" rules for non-standard ports, e.g. ["udp.port==5300,dns"]. */
  readonly decodeAs?: readonly string[];
  /** tshark preferences, e.g. ["tcp.reassemble_out_of_order:TRUE"]. */
  readonly prefs?: readonly string[];
}

/**
 * Asserts that every frame tshark shows as DNS holds the same messages in our records: DNS ids,
 * question names and types, addresses, ports and the timestamp to the microsecond.
 */
export async function compareWithTshark(path: string, options: CompareOptions = {}): Promise<Comparison> {
  const { records, stats } = await readAll(path, options);
  assert.equal(stats.error, undefined, `${path}: ${stats.error?.message ?? ''}`);
  const ours = new Map<number, CapturedDns[]>();
  for (const r of records) {
    if (r.kind !== 'dns') continue;
    const list = ours.get(r.frame) ?? [];
    list.push(r);
    ours.set(r.frame, list);
  }
  const rows = tsharkFields(path, {
    filter: 'dns && !icmp && !icmpv6',
    fields: FIELDS,
    ...(options.decodeAs ? { decodeAs: options.decodeAs } : {}),
    ...(options.prefs ? { prefs: options.prefs } : {}),
  });
  const result: Comparison = {
    tsharkMessages: 0,
    ourMessages: records.filter((r) => r.kind === 'dns').length,
    framesCompared: 0,
    namesCompared: 0,
    namesSkipped: 0,
    tsharkAnswered: 0,
    records,
  };
  for (const row of rows) {
    const cell = (name: (typeof FIELDS)[number]): string[] => row[FIELDS.indexOf(name)] ?? [];
    const frame = Number(cell('frame.number')[0]);
    const ids = cell('dns.id');
    result.tsharkMessages += ids.length;
    result.tsharkAnswered += cell('dns.response_to').length;
    const mine = ours.get(frame) ?? [];
    const where = `${path} frame ${frame}`;
    assert.deepEqual(
      mine.map((m) => `0x${m.payload.readUInt16BE(0).toString(16).padStart(4, '0')}`),
      ids,
      `${where}: DNS ids`,
    );
    const first = mine[0];
    if (!first) continue;
    result.framesCompared++;
    const micros = epochToMicros(cell('frame.time_epoch')[0] ?? '');
    assert.ok(Math.abs(Math.round(first.ts * 1000) - micros) <= 1, `${where}: ts ${first.ts} vs ${micros}`);
    assert.equal(first.srcIp, cell('ip.src')[0] ?? cell('ipv6.src')[0], `${where}: source address`);
    assert.equal(first.dstIp, cell('ip.dst')[0] ?? cell('ipv6.dst')[0], `${where}: destination address`);
    const srcPort = cell(first.transport === 'udp' ? 'udp.srcport' : 'tcp.srcport')[0];
    const dstPort = cell(first.transport === 'udp' ? 'udp.dstport' : 'tcp.dstport')[0];
    assert.equal(String(first.srcPort), srcPort, `${where}: source port`);
    assert.equal(String(first.dstPort), dstPort, `${where}: destination port`);
    const qs = mine.flatMap((m) => questions(m.payload));
    assert.deepEqual(
      qs.map((q) => String(q.type)),
      cell('dns.qry.type'),
      `${where}: question types`,
    );
    const names = cell('dns.qry.name');
    assert.equal(qs.length, names.length, `${where}: question count`);
    qs.forEach((q, i) => {
      if (!q.printable) {
        result.namesSkipped++;
        return;
      }
      result.namesCompared++;
      assert.equal(q.name, names[i], `${where}: question name ${i}`);
    });
  }
  assert.equal(result.ourMessages, result.tsharkMessages, `${path}: DNS message count`);
  return result;
}

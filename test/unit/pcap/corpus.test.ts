// The reader against tshark on every capture the repository holds: fixtures/*.pcap and fixtures/pcap-reader.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { pairDns } from '../../../src/pcap/dns-pairing.js';
import type { CapturedRecord } from '../../../src/pcap/records.js';
import { compareWithTshark, readAll } from './tshark-compare.js';
import { tsharkFields } from '../../helpers/tshark.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = join(ROOT, 'fixtures');
const OWN = join(ROOT, 'fixtures/pcap-reader');

/** Queries pairDns matched with a response. */
async function answered(records: readonly CapturedRecord[]): Promise<number> {
  async function* replay(): AsyncGenerator<CapturedRecord> {
    await Promise.resolve();
    yield* records;
  }
  let count = 0;
  for await (const pair of pairDns(replay()))
    if (pair.kind === 'exchange' && pair.query && pair.response) count++;
  return count;
}

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...captures(path));
    else if (/\.pcap(ng)?$/.test(entry)) out.push(path);
  }
  return out.sort();
}

describe('fixtures/ (real tunnel and agent traffic, see make-captures.sh)', () => {
  const files = readdirSync(FIXTURES)
    .filter((entry) => /\.pcap(ng)?$/.test(entry))
    .sort();
  it('holds exactly the labelled captures', () => {
    const labels = JSON.parse(readFileSync(join(FIXTURES, 'labels.json'), 'utf8')) as { files: object };
    assert.deepEqual(files, Object.keys(labels.files).sort());
    assert.ok(files.includes('iodine-tunnel.pcap') && files.includes('evasive-beacon.pcap'));
  });

  for (const name of files) {
    it(`${name}: same DNS messages as tshark, and the same query/response pairs`, async () => {
      const result = await compareWithTshark(join(FIXTURES, name));
      assert.ok(result.tsharkMessages > 0);
      assert.ok(result.namesCompared > 0);
      assert.equal(await answered(result.records), result.tsharkAnswered, 'pairs (tshark: dns.response_to)');
    });
  }
});

describe('fixtures/pcap-reader (real dig/kdig/curl traffic, see make.sh)', () => {
  const files = captures(OWN);
  it('holds the Ethernet, SLL (ns) and SLL2 pcapng captures', () => {
    assert.deepEqual(
      files.map((f) => f.slice(OWN.length + 1)),
      ['any-sll-nano.pcap', 'any-sll2.pcapng', 'lo-ethernet.pcap'],
    );
  });

  for (const path of files) {
    const name = path.slice(OWN.length + 1);
    it(`${name}: same DNS messages as tshark, UDP and TCP, IPv4 and IPv6`, async () => {
      const result = await compareWithTshark(path);
      assert.equal(await answered(result.records), result.tsharkAnswered);
      assert.equal(
        result.tsharkMessages,
        32,
        '28 frames, one carrying three pipelined queries, one three responses',
      );
      const { records } = await readAll(path);
      const tcp = records.filter((r) => r.kind === 'dns' && r.transport === 'tcp');
      assert.equal(tcp.length, 16, 'TCP messages: plain, keepopen, IPv6, pipelined and split');
      assert.ok(records.some((r) => r.kind === 'dns' && r.srcIp === '::1'));
    });

    it(`${name}: DoT connection and ClientHello SNIs match tshark`, async () => {
      const { records } = await readAll(path);
      const evidence = records.filter((r) => r.kind !== 'dns');
      const dot = evidence.filter((r) => r.kind === 'dot');
      assert.equal(dot.length, 1);
      assert.equal(dot[0]?.dstPort, 853);
      const rows = tsharkFields(path, {
        filter: 'tls.handshake.type == 1',
        fields: ['frame.number', 'tls.handshake.extensions_server_name'],
      });
      const expected = rows.map((row) => `${row[0]?.[0] ?? ''} ${row[1]?.[0] ?? ''}`);
      const sni = evidence.filter((r) => r.kind === 'tls-sni').map((r) => `${r.frame} ${r.sni ?? ''}`);
      assert.deepEqual(sni, expected);
      assert.deepEqual(expected.map((e) => e.split(' ')[1]).sort(), ['doh.example.net', 'dot.example.net']);
    });
  }
});

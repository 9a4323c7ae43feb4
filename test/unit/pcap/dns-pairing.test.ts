// Query/response pairing: key, order, timeouts (agreement with tshark is checked in corpus.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { pairDns, type PairedRecord } from '../../../src/pcap/dns-pairing.js';
import type { CapturedDns, CapturedRecord } from '../../../src/pcap/records.js';
import { dnsMessage } from './capture-builder.js';

function dns(
  ts: number,
  frame: number,
  id: number,
  name: string,
  response: boolean,
  clientPort = 40000,
): CapturedDns {
  const client = { ip: '192.0.2.10', port: clientPort };
  const server = { ip: '192.0.2.53', port: 53 };
  const [src, dst] = response ? [server, client] : [client, server];
  return {
    kind: 'dns',
    ts,
    transport: 'udp',
    srcIp: src.ip,
    srcPort: src.port,
    dstIp: dst.ip,
    dstPort: dst.port,
    payload: dnsMessage(id, name, 1, response),
    frame,
  };
}

async function* from(records: readonly CapturedRecord[]): AsyncGenerator<CapturedRecord> {
  for (const r of records) {
    await Promise.resolve();
    yield r;
  }
}

async function pairs(records: readonly CapturedRecord[], timeoutMs?: number): Promise<string[]> {
  const out: string[] = [];
  const options = timeoutMs === undefined ? {} : { timeoutMs };
  for await (const p of pairDns(from(records), options)) out.push(describePair(p));
  return out;
}

function describePair(p: PairedRecord): string {
  if (p.kind !== 'exchange') return `${p.kind}@${p.frame}`;
  return `${p.query ? `q@${p.query.frame}` : '-'} ${p.response ? `r@${p.response.frame}` : '-'}`;
}

describe('pairDns', () => {
  it('pairs by client port, id and question, case-insensitively (0x20), in query order', async () => {
    const result = await pairs([
      dns(0, 1, 7, 'a.example.org', false),
      dns(1, 2, 8, 'b.example.org', false),
      dns(2, 3, 7, 'a.example.org', false, 40001), // same id, other client port
      dns(3, 4, 8, 'B.Example.ORG', true),
      dns(4, 5, 7, 'a.example.org', true, 40001),
      dns(5, 6, 7, 'A.EXAMPLE.org', true),
    ]);
    assert.deepEqual(result, ['q@1 r@6', 'q@2 r@4', 'q@3 r@5']);
  });

  it('a response to another question with the same id does not pair', async () => {
    const result = await pairs([
      dns(0, 1, 9, 'asked.example.org', false),
      dns(1, 2, 9, 'other.example.org', true),
    ]);
    assert.deepEqual(result, ['q@1 -', '- r@2']);
  });

  it('unanswered queries go out after the timeout without holding the rest forever', async () => {
    const result = await pairs(
      [
        dns(0, 1, 1, 'lost.example.org', false),
        {
          kind: 'dot',
          ts: 10,
          srcIp: '192.0.2.10',
          srcPort: 5000,
          dstIp: '192.0.2.1',
          dstPort: 853,
          frame: 2,
        },
        dns(20, 3, 2, 'ok.example.org', false),
        dns(5000, 4, 2, 'ok.example.org', true),
        dns(6000, 5, 1, 'lost.example.org', true), // too late
      ],
      1000,
    );
    assert.deepEqual(result, ['q@1 -', 'dot@2', 'q@3 r@4', '- r@5']);
  });

  it('a retransmitted query: the first copy gets the response, the second goes out alone', async () => {
    const result = await pairs([
      dns(0, 1, 3, 'again.example.org', false),
      dns(1000, 2, 3, 'again.example.org', false),
      dns(1001, 3, 3, 'again.example.org', true),
    ]);
    assert.deepEqual(result, ['q@1 r@3', 'q@2 -']);
  });
});

// truncateAnswer: a TC=1 answer with the whole answer records that fit (musl has no TCP fallback, issue 19).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { optRecord } from '../../helpers/opt-record.js';
import { truncateAnswer } from '../../../src/dns/truncate.js';
import { parseQuery } from '../../../src/dns/wire.js';
import type { Query } from '../../../src/model/query.js';

const NAME = 'api.github.com';
const ADDRESSES = Array.from({ length: 40 }, (_, i) => `192.0.2.${String(i + 1)}`);

function queryOf(edns: boolean): { msg: Buffer; query: Query } {
  const msg = dnsPacket.encode({
    type: 'query',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: 'A', name: NAME, class: 'IN' }],
    additionals: edns ? [optRecord(600, dnsPacket.DNSSEC_OK)] : [],
  });
  const parsed = parseQuery(msg);
  assert.equal(parsed.kind, 'query');
  return { msg, query: parsed.query };
}

/** The full answer: 40 A records (dns-packet writes owners uncompressed: 30 bytes each), an NS, an OPT. */
function bigAnswer(): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 7,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: 'A', name: NAME, class: 'IN' }],
    answers: ADDRESSES.map((data) => ({ type: 'A', name: NAME, ttl: 60, data })),
    authorities: [{ type: 'NS', name: 'github.com', ttl: 60, data: 'ns1.github.com' }],
    additionals: [optRecord(1232, 0)],
  });
}

describe('truncateAnswer', () => {
  it('musl: without EDNS, the 512-byte answer keeps the first whole A records, with TC=1', () => {
    const { query } = queryOf(false);
    const out = truncateAnswer(bigAnswer(), query, 512);
    assert.ok(out.length <= 512);
    const decoded = dnsPacket.decode(out);
    assert.equal(decoded.id, 7);
    assert.equal(decoded.flag_tc, true);
    assert.equal(out.readUInt16BE(2) & 0xf, 0); // NOERROR
    assert.deepEqual(decoded.questions, [{ type: 'A', name: NAME, class: 'IN' }]);
    // 12 + 20 question bytes, then 30 bytes an A record: 16 fit in 512
    assert.equal((decoded.answers ?? []).length, 16);
    assert.deepEqual(
      (decoded.answers ?? []).map((rr) => (rr.type === 'A' ? rr.data : '')),
      ADDRESSES.slice(0, 16),
    );
    assert.equal((decoded.authorities ?? []).length, 0);
    assert.equal((decoded.additionals ?? []).length, 0);
  });

  it('keeps an OPT (ours, with the DO bit echoed) when the client used EDNS, within its size', () => {
    const { query } = queryOf(true);
    const out = truncateAnswer(bigAnswer(), query, 600);
    assert.ok(out.length <= 600);
    const decoded = dnsPacket.decode(out);
    assert.equal(decoded.flag_tc, true);
    assert.equal((decoded.answers ?? []).length, Math.floor((600 - 32 - 11) / 30));
    assert.equal(out.readUInt16BE(6), (decoded.answers ?? []).length);
    assert.equal((decoded.additionals ?? []).length, 1);
    const opt = (decoded.additionals ?? [])[0];
    assert.equal(opt?.type, 'OPT');
    assert.equal(out.readUInt16BE(out.length - 11 + 3), 1232);
    assert.equal(out.readUInt32BE(out.length - 11 + 5), 0x8000);
  });

  it('keeps no partial record: a limit below the first record leaves the question only', () => {
    const { query } = queryOf(false);
    const out = truncateAnswer(bigAnswer(), query, 40);
    assert.equal(out.length, 32);
    const decoded = dnsPacket.decode(out);
    assert.equal(decoded.flag_tc, true);
    assert.equal((decoded.answers ?? []).length, 0);
  });

  it('keeps compressed owners valid: they point into the kept question', () => {
    const { query } = queryOf(false);
    const head = dnsPacket.encode({
      type: 'response',
      id: 7,
      flags: dnsPacket.RECURSION_AVAILABLE,
      questions: [{ type: 'A', name: NAME, class: 'IN' }],
    });
    const records = ADDRESSES.map((address) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // owner: pointer to the question name
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => (rr[12 + i] = Number(octet)));
      return rr;
    });
    const full = Buffer.concat([head, ...records]);
    full.writeUInt16BE(records.length, 6);
    const decoded = dnsPacket.decode(truncateAnswer(full, query, 512));
    // 12 + 20 question bytes, then 16 bytes a compressed A record: 30 fit in 512
    assert.equal((decoded.answers ?? []).length, 30);
    assert.ok((decoded.answers ?? []).every((rr) => rr.name === NAME));
  });
});

// L11: EDNS conformance: a version above 0 gets BADVERS with our OPT; options that overrun the OPT are FORMERR.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { ResponseBuilder } from '../../../src/dns/responses.js';
import { parseQuery } from '../../../src/dns/wire.js';

function queryWithOpt(optTtl: number, rdata: Buffer): Buffer {
  const base = dnsPacket.encode({
    type: 'query',
    id: 42,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: 'api.example.org', type: 'A' }],
  });
  const opt = Buffer.alloc(11 + rdata.length);
  opt.writeUInt16BE(41, 1);
  opt.writeUInt16BE(1232, 3);
  opt.writeUInt32BE(optTtl, 5);
  opt.writeUInt16BE(rdata.length, 9);
  rdata.copy(opt, 11);
  const out = Buffer.concat([base, opt]);
  out.writeUInt16BE(1, 10);
  return out;
}

describe('EDNS', () => {
  it('L11: an OPT of version 1 is answered BADVERS (extended rcode 16) with an OPT of version 0', () => {
    const msg = queryWithOpt(1 << 16, Buffer.alloc(0));
    const parsed = parseQuery(msg);
    assert.ok(parsed.kind === 'query');
    assert.equal(parsed.query.ednsVersion, 1);
    const reply = new ResponseBuilder(60).badVersion(msg, parsed.query);
    assert.equal(reply.readUInt16BE(2) & 0xf, 0, 'header rcode: the low 4 bits of 16');
    const opt = reply.subarray(reply.length - 11);
    assert.equal(opt.readUInt16BE(1), 41);
    assert.equal(opt[5], 1, 'extended rcode 1 (x16 = BADVERS)');
    assert.equal(opt[6], 0, 'our EDNS version: 0');
  });

  it('L11: EDNS options that overrun the OPT record are FORMERR; well-framed ones parse', () => {
    const overrun = Buffer.from([0, 10, 0, 8, 1, 2]); // cookie option claiming 8 bytes, carrying 2
    assert.deepEqual(parseQuery(queryWithOpt(0, overrun)), {
      kind: 'formerr',
      reason: 'EDNS options overrun the OPT record',
    });
    const cookie = Buffer.from([0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(parseQuery(queryWithOpt(0, cookie)).kind, 'query');
    assert.equal(parseQuery(queryWithOpt(0, Buffer.from([0, 10, 0]))).kind, 'formerr');
  });
});

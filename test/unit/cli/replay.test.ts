// `dnsward replay` as a function over a capture built in the test: report formats, exit codes, usage errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { replay, type ReplayOptions } from '../../../src/cli/commands/replay.js';
import { DnswardError } from '../../../src/errors.js';
import { dnsMessage, ethernet, ipv4, pcapFile, tempCapture, udp } from '../pcap/capture-builder.js';
import { captureIo } from './io.js';

function capture(): Buffer {
  const frames = ['a.example.com', 'b.example.com', 'c.example.com'].map((name, i) => ({
    seconds: 1_790_000_000 + i,
    nanos: 0,
    data: ethernet(0x0800, ipv4('127.0.0.9', '127.0.0.1', 17, udp(40_000 + i, 53, dnsMessage(i + 1, name)))),
  }));
  return pcapFile(frames, { linkType: 1 });
}

const options = (extra: Partial<ReplayOptions> = {}): ReplayOptions => ({
  format: 'table',
  port: [],
  resolver: ['127.0.0.1'],
  ...extra,
});

describe('dnsward replay', () => {
  const path = tempCapture('three.pcap', capture());

  it('--format json: the report, every query decided by the embedded (deny-all) policy', async () => {
    const io = captureIo();
    assert.equal(await replay([path], options({ format: 'json' }), io), 0);
    const report = JSON.parse(io.stdout()) as { queries: number; decisions: Record<string, number> };
    assert.equal(report.queries, 3);
    assert.deepEqual(report.decisions, { deny: 3 });
  });

  it('table: files, counts and alerts', async () => {
    const io = captureIo();
    assert.equal(await replay([path], options(), io), 0);
    assert.match(io.stdout(), /^file\s+queries\s+seconds/);
    assert.match(io.stdout(), /^queries: 3$/m);
    assert.match(io.stdout(), /^decisions: deny=3$/m);
    assert.match(io.stdout(), /^alerts: none$/m);
  });

  it('--mode audit turns denials into would-deny', async () => {
    const io = captureIo();
    await replay([path], options({ format: 'json', mode: 'audit' }), io);
    assert.deepEqual((JSON.parse(io.stdout()) as { decisions: unknown }).decisions, { 'would-deny': 3 });
  });

  it('exits 1 when a capture stops early, keeping what it read', async () => {
    const whole = capture();
    const cut = tempCapture('cut.pcap', whole.subarray(0, whole.length - 10));
    const io = captureIo();
    assert.equal(await replay([cut], options({ format: 'json' }), io), 1);
    assert.match(io.stderr(), /cut\.pcap: capture read stopped early: /);
    assert.equal((JSON.parse(io.stdout()) as { queries: number }).queries, 2);
  });

  it('rejects a bad --format and a bad --port as usage errors', async () => {
    const usage = (e: unknown): boolean => e instanceof DnswardError && e.code === 'DNSWARD_ERR_USAGE';
    await assert.rejects(replay([path], options({ format: 'yaml' }), captureIo()), usage);
    await assert.rejects(replay([path], options({ port: ['70000'] }), captureIo()), usage);
  });
});

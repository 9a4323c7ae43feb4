// listen.udpEngine: dgram never touches the addon, native insists on it, auto falls back to dgram and says so once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadUdpAddon, type UdpAddon } from '../../../src/dns/udp-addon.js';
import { chooseUdpEngine } from '../../../src/dns/udp-engine.js';
import { DnswardError } from '../../../src/errors.js';

function recorder(): { warn(fields: object, message: string): void; lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (fields, message) => lines.push(`${message} ${JSON.stringify(fields)}`) };
}

const missing = (): UdpAddon => loadUdpAddon('/nonexistent/build/Release/udp_batch.node');

describe('chooseUdpEngine', () => {
  it('dgram: the addon is not loaded at all', () => {
    const log = recorder();
    const engine = chooseUdpEngine('dgram', log, () => assert.fail('loaded'));
    assert.equal(engine.kind, 'dgram');
    assert.deepEqual(log.lines, []);
  });

  it('native: the addon where it loads', () => {
    const engine = chooseUdpEngine('native', recorder());
    assert.equal(engine.kind, 'native');
  });

  it('native without the addon: a listen error naming the cause', () => {
    assert.throws(
      () => chooseUdpEngine('native', recorder(), missing),
      (error: unknown) =>
        error instanceof DnswardError &&
        error.code === 'DNSWARD_ERR_LISTEN' &&
        /udpEngine is native.*nonexistent/s.test(error.message),
    );
  });

  it('auto without the addon: dgram, and the load error is logged once per process', () => {
    const log = recorder();
    assert.equal(chooseUdpEngine('auto', log, missing).kind, 'dgram');
    assert.equal(chooseUdpEngine('auto', log, missing).kind, 'dgram');
    assert.equal(log.lines.length, 1);
    assert.match(log.lines[0] ?? '', /auto: batched UDP addon not loaded, using dgram .*nonexistent/);
  });

  it('auto with the addon: native', () => {
    assert.equal(chooseUdpEngine('auto', recorder()).kind, 'native');
  });
});

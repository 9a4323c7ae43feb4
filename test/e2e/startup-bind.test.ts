// M7: `serve` on an address it cannot bind exits non-zero by itself, so supervisors see the failure.
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { serveArgs } from '../helpers/dnsward.js';
import { startProcess, waitFor } from '../helpers/processes.js';

describe('M7: a failed bind', () => {
  let holder: Socket;
  let port = 0;
  let dir: string;

  before(async () => {
    holder = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.1', resolve));
    port = holder.address().port;
    dir = mkdtempSync(join(tmpdir(), 'dnsward-harden-bind-'));
  });

  after(() => {
    holder.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const thread of ['always', 'never'] as const) {
    it(`M7: a failed bind exits non-zero (store.thread: ${thread})`, async () => {
      const config = join(dir, `${thread}.yaml`);
      writeFileSync(
        config,
        stringify({
          listen: { udp: [`127.0.0.1:${port}`], tcp: [`127.0.0.1:${port}`] },
          upstreams: { default: ['127.0.0.1:9'] },
          store: { path: join(dir, `${thread}.db`), thread },
        }),
      );
      const proc = startProcess(process.execPath, [...serveArgs(config), '--no-watch']);
      try {
        await waitFor(() => proc.child.exitCode !== null, 20_000, 'serve to exit');
        assert.equal(proc.child.exitCode, 1);
        assert.match(proc.output(), /cannot listen: bind:? (EADDRINUSE|Address already in use)/);
      } finally {
        await proc.stop();
      }
    });
  }
});

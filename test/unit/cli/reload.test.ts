// `dnsward reload` as a function: validates first, finds the server by its pid file, refuses stale pid files.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { reload } from '../../../src/cli/commands/reload.js';
import { pidFilePath } from '../../../src/cli/pid-file.js';
import { loadConfig } from '../../../src/config/load.js';
import { DnswardError } from '../../../src/errors.js';
import { captureIo } from './io.js';

const dir = mkdtempSync(join(tmpdir(), 'dnsward-cli-reload-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, store: Record<string, unknown>, allowlists: string[] = []): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    stringify({
      store,
      identity: { defaultGroup: 'agents' },
      groups: [{ name: 'agents', tier: 3, allowlists }],
    }),
  );
  return path;
}

const code = (name: string) => (e: unknown) => e instanceof DnswardError && e.code === name;

describe('dnsward reload', () => {
  it('does not signal when the config does not compile, and says so', () => {
    const path = config('broken.yaml', { path: join(dir, 'x.db') }, ['missing.yaml']);
    const io = captureIo();
    assert.equal(reload({ config: path, check: true }, io), 1);
    assert.match(io.stdout(), /missing\.yaml:1 \(file\): /);
    assert.match(io.stdout(), /not reloaded: the running server keeps its policy/);
  });

  it('puts the pid file beside the database unless store.pidFile says otherwise', () => {
    const beside = loadConfig(config('a.yaml', { path: join(dir, 'data', 'd.db') }));
    assert.equal(pidFilePath(beside.config), join(dir, 'data', 'dnsward.pid'));
    const off = loadConfig(config('b.yaml', { path: join(dir, 'd.db'), pidFile: false }));
    assert.equal(pidFilePath(off.config), null);
    assert.throws(
      () => reload({ config: join(dir, 'b.yaml'), check: false }, captureIo()),
      code('DNSWARD_ERR_USAGE'),
    );
  });

  it('refuses a missing pid file, one without a pid, and one naming no process', () => {
    const path = config('c.yaml', { path: join(dir, 'c.db') });
    const pidFile = join(dir, 'c.pid');
    assert.throws(
      () => reload({ config: path, pidFile, check: false }, captureIo()),
      code('DNSWARD_ERR_NOT_FOUND'),
    );
    writeFileSync(pidFile, 'nonsense\n');
    assert.throws(
      () => reload({ config: path, pidFile, check: false }, captureIo()),
      /does not hold a process id/,
    );
    writeFileSync(pidFile, '4194304\n'); // above Linux's pid_max: no such process
    assert.throws(
      () => reload({ config: path, pidFile, check: false }, captureIo()),
      /not running \(stale pid file\)/,
    );
  });

  it('sends SIGHUP to the process the pid file names', async () => {
    // a stand-in whose command line says "serve", as looksLikeServe checks on Linux
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', 'serve'], {
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((done) =>
      child.on('exit', (_code, signal) => done(signal)),
    );
    try {
      const pidFile = join(dir, 'live.pid');
      writeFileSync(pidFile, `${child.pid ?? 0}\n`);
      const io = captureIo();
      const path = config('d.yaml', { path: join(dir, 'd.db') });
      assert.equal(reload({ config: path, pidFile, check: true }, io), 0);
      assert.match(io.stdout(), new RegExp(`sent SIGHUP to dnsward \\(pid ${child.pid ?? 0}\\)`));
      assert.equal(await exited, 'SIGHUP');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

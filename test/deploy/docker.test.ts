// deploy/Dockerfile and .dockerignore: static checks, and the image's entry command run outside Docker.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parse } from 'yaml';

const REPO = resolve(import.meta.dirname, '..', '..');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** Dockerfile -> instructions, with continuation lines joined and comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return;
    if (pending === '') start = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(full);
    if (match) out.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: start });
  });
  return out;
}

/** The last stage: instructions after the final FROM. */
function finalStage(instructions: readonly Instruction[]): Instruction[] {
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  return instructions.slice(lastFrom);
}

function execForm(instruction: Instruction | undefined): string[] {
  assert.ok(instruction, 'instruction missing');
  const parsed: unknown = JSON.parse(instruction.args);
  assert.ok(
    Array.isArray(parsed) && parsed.every((part) => typeof part === 'string'),
    `${instruction.keyword} on line ${instruction.line} must be exec form (a JSON array of strings)`,
  );
  return parsed;
}

/** .dockerignore semantics, enough for our file: last matching pattern wins; a match on a parent excludes children. */
function dockerignoreExcludes(patterns: readonly string[], path: string): boolean {
  const segments = path.split('/');
  const prefixes = segments.map((_, index) => segments.slice(0, index + 1).join('/'));
  let excluded = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/\/+$/, '');
    const regex = new RegExp(
      `^${pattern
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) => {
          if (part === '**/') return '(?:.*/)?';
          if (part === '**') return '.*';
          if (part === '*') return '[^/]*';
          if (part === '?') return '[^/]';
          return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('')}$`,
    );
    if (prefixes.some((prefix) => regex.test(prefix))) excluded = !negated;
  }
  return excluded;
}

const dockerfileText = readFileSync(join(REPO, 'deploy/Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfileText);
const runtime = finalStage(instructions);
const ignorePatterns = readFileSync(join(REPO, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** `COPY` of the final stage from the build context: [source, destination]. */
const contextCopies: [string, string][] = runtime
  .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
  .flatMap((i) => {
    const parts = i.args.split(/\s+/).filter((part) => !part.startsWith('--'));
    const destination = parts.at(-1) ?? '';
    return parts.slice(0, -1).map((source): [string, string] => [source, destination]);
  });

/** Where an absolute path of the image comes from in the repository (via WORKDIR /app and the COPY lines). */
function repoPathOf(imagePath: string): string {
  for (const [source, destination] of contextCopies) {
    const target = destination.startsWith('/') ? destination : join('/app', destination);
    // Docker: a directory's contents land in the target; a file lands in it when the target ends in "/"
    const isDirectory = statSync(join(REPO, source)).isDirectory();
    const landed =
      !isDirectory && destination.endsWith('/') ? join(target, basename(source)) : target.replace(/\/$/, '');
    if (imagePath === landed) return join(REPO, source);
    if (isDirectory && imagePath.startsWith(`${landed}/`))
      return join(REPO, source, imagePath.slice(landed.length + 1));
  }
  throw new Error(`${imagePath} is not copied from the build context`);
}

function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of runtime.filter((i) => i.keyword === 'ENV')) {
    for (const match of instruction.args.matchAll(/(\w+)=(\S+)/g)) env[match[1] ?? ''] = match[2] ?? '';
  }
  return env;
}

describe('deploy/Dockerfile', () => {
  it('is multi-stage: a build stage with a compiler toolchain, then node:24-bookworm-slim', () => {
    const froms = instructions.filter((i) => i.keyword === 'FROM');
    assert.ok(froms.length >= 2, 'expected a build stage and a runtime stage');
    assert.match(dockerfileText, /^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    const build = instructions.slice(0, instructions.indexOf(runtime[0] as Instruction));
    const runs = build.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    assert.ok(
      runs.some((r) => /\bpython3\b/.test(r) && /\bmake\b/.test(r) && /\bg\+\+/.test(r)),
      'build stage installs python3, make and g++ for better-sqlite3',
    );
    assert.ok(runs.some((r) => /\bnpm ci\b/.test(r) && /npm prune --omit=dev/.test(r)));
    assert.ok(
      runtime.some(
        (i) => i.keyword === 'COPY' && i.args.includes('--from=build') && i.args.includes('node_modules'),
      ),
      'runtime copies node_modules from the build stage',
    );
    assert.ok(
      !runtime.some((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args)),
      'no toolchain at runtime',
    );
  });

  it('runs as a numeric, non-root user', () => {
    const user = runtime.filter((i) => i.keyword === 'USER').at(-1);
    assert.ok(user, 'USER missing in the runtime stage');
    const [uid, gid] = user.args.split(':');
    assert.match(uid ?? '', /^\d+$/, 'numeric uid: Kubernetes verifies runAsNonRoot only against a number');
    assert.notEqual(Number(uid), 0);
    assert.notEqual(Number(gid ?? '1'), 0);
  });

  it('exposes DNS on 53/udp and 53/tcp and metrics on 9153, with a /healthz HEALTHCHECK', () => {
    const exposed = runtime
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/))
      .map((port) => (port.includes('/') ? port : `${port}/tcp`));
    assert.deepEqual(new Set(exposed), new Set(['53/udp', '53/tcp', '9153/tcp']));
    const healthcheck = runtime.find((i) => i.keyword === 'HEALTHCHECK');
    assert.ok(healthcheck, 'HEALTHCHECK missing');
    assert.match(healthcheck.args, /\/healthz/);
    assert.match(healthcheck.args, /127\.0\.0\.1:9153/);
  });

  it('copies only what exists and what .dockerignore lets into the build context', () => {
    assert.ok(contextCopies.length > 0);
    for (const [source] of contextCopies) {
      assert.ok(existsSync(join(REPO, source)), `COPY source ${source} does not exist`);
      assert.ok(
        !dockerignoreExcludes(ignorePatterns, source),
        `COPY source ${source} is excluded by .dockerignore`,
      );
    }
    for (const file of ['src/main.ts', 'bin/dnsward.js', 'src/store/migrations/001-query-log.sql']) {
      assert.ok(!dockerignoreExcludes(ignorePatterns, file), `${file} must be in the context`);
    }
    for (const path of [
      'node_modules/zod/package.json',
      '.git/HEAD',
      'test/deploy/docker.test.ts',
      'dnsward.db',
      'src/x.db',
      'src/node_modules/a.js',
    ]) {
      assert.ok(dockerignoreExcludes(ignorePatterns, path), `${path} must stay out of the build context`);
    }
  });

  it('the image config is valid: ENTRYPOINT + `config check` on the baked /etc/dnsward/dnsward.yaml', () => {
    const entrypoint = execForm(runtime.find((i) => i.keyword === 'ENTRYPOINT'));
    const cmd = execForm(runtime.find((i) => i.keyword === 'CMD'));
    assert.equal(entrypoint[0], 'node');
    assert.equal(cmd[0], 'serve');
    const configAt = cmd.indexOf('--config');
    assert.ok(configAt > 0, 'CMD names the config file');
    const config = repoPathOf(cmd[configAt + 1] ?? '');
    const script = repoPathOf(entrypoint[1] ?? '');
    const result = spawnSync(process.execPath, [script, 'config', 'check', '--config', config], {
      cwd: REPO,
      env: { ...process.env, ...imageEnv(), NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 0, `config check failed:\n${result.stdout}${result.stderr}`);
    const parsed = parse(readFileSync(config, 'utf8')) as { store?: { path?: string } };
    assert.ok(
      parsed.store?.path?.startsWith('/var/lib/dnsward/'),
      'the DB lives on the /var/lib/dnsward volume',
    );
    assert.match(dockerfileText, /chown 10001:10001 \/var\/lib\/dnsward/);
  });

  it('the entry command serves: a query is answered, HEALTHCHECK and /readyz pass (loopback only)', async (t: TestContext) => {
    const entrypoint = execForm(runtime.find((i) => i.keyword === 'ENTRYPOINT'));
    const cmd = execForm(runtime.find((i) => i.keyword === 'CMD'));
    const config = repoPathOf(cmd[cmd.indexOf('--config') + 1] ?? '');
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-image-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // The image's own arguments, with the container-only addresses moved to loopback. The baked config
    // denies every client, so nothing is forwarded; the upstream flag points at loopback all the same.
    const args = [
      repoPathOf(entrypoint[1] ?? ''),
      ...cmd.slice(0, cmd.indexOf('--config')),
      '--config',
      config,
      '--listen',
      '127.0.0.1:0',
      '--metrics',
      '127.0.0.1:0',
      '--upstream',
      '127.0.0.1:9',
      '--db',
      join(dir, 'dnsward.db'),
    ];
    const child = spawn(process.execPath, args, {
      cwd: dir,
      env: { ...process.env, ...imageEnv(), NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const deadline = Date.now() + 30_000;
    let port = 0;
    while (port === 0 && Date.now() < deadline && child.exitCode === null) {
      port = Number(/"udp":\[(\d+)/.exec(output)?.[1] ?? 0);
      if (port === 0) await new Promise((done) => setTimeout(done, 50));
    }
    assert.ok(port > 0, `dnsward did not start listening:\n${output}`);
    const dig = spawnSync(
      'dig',
      ['@127.0.0.1', '-p', String(port), 'example.org', 'A', '+tries=1', '+time=3'],
      {
        encoding: 'utf8',
        timeout: 15_000,
      },
    );
    if (dig.error) {
      t.diagnostic(`dig not available (${dig.error.message}); checked the start only`);
    } else {
      assert.match(dig.stdout, /status: REFUSED/, 'the baked config denies every client');
    }

    // The HEALTHCHECK command exactly as the Dockerfile has it, pointed at this metrics port; then a closed port.
    const metricsPort = Number(/"metrics":(\d+)/.exec(output)?.[1] ?? 0);
    assert.ok(metricsPort > 0, `no metrics listener (the HEALTHCHECK and the probes need it):\n${output}`);
    const healthcheck = runtime.find((i) => i.keyword === 'HEALTHCHECK');
    const probe: unknown = JSON.parse(/\bCMD\s+(\[.*\])\s*$/.exec(healthcheck?.args ?? '')?.[1] ?? 'null');
    assert.ok(Array.isArray(probe) && probe[0] === 'node', 'HEALTHCHECK CMD is exec form running node');
    const runProbe = (url: string): number | null =>
      spawnSync(process.execPath, (probe as string[]).slice(1), {
        env: { ...process.env, NODE_OPTIONS: '', DNSWARD_HEALTHZ_URL: url },
        timeout: 15_000,
      }).status;
    assert.equal(
      runProbe(`http://127.0.0.1:${metricsPort}/healthz`),
      0,
      'HEALTHCHECK passes on a running server',
    );
    assert.equal(runProbe('http://127.0.0.1:9/healthz'), 1, 'HEALTHCHECK fails when nothing answers');

    // readiness, as the kubelet's readinessProbe asks for it
    let ready = 0;
    while (ready !== 200 && Date.now() < deadline) {
      ready = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then(
        (response) => response.status,
        () => 0,
      );
      if (ready !== 200) await new Promise((done) => setTimeout(done, 100));
    }
    assert.equal(ready, 200, '/readyz reports ready');
    child.kill('SIGTERM');
    assert.equal(await exited, 0, `dnsward did not stop cleanly on SIGTERM:\n${output}`);
  });
});

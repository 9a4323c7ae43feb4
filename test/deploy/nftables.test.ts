// deploy/nftables/dnsward.nft: syntax check, a real load into a throwaway network namespace, and the
// rules at work between test hosts made of network namespaces (never the host's own namespace).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { elementScript } from '../../src/egress/nft-batch.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const RULES = join(REPO, 'deploy', 'nftables', 'dnsward.nft');
const isRoot = process.getuid?.() === 0;

function run(
  command: string,
  args: readonly string[],
): { status: number | null; output: string; missing: boolean } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  return {
    status: result.status,
    output: `${result.stdout}${result.stderr}`,
    missing: (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT',
  };
}

/** A missing tool fails the test, naming what to install (no silent skips). */
function unavailable(t: TestContext, reason: string): void {
  assert.fail(`${reason}: run .ci/install-tools.sh`);
}

/** `unshare` into a new, empty network namespace (as root, or inside a user namespace otherwise). */
function inThrowawayNetns(script: string): { status: number | null; output: string; missing: boolean } {
  return run('unshare', [
    ...(isRoot ? ['--net'] : ['--user', '--map-root-user', '--net']),
    'sh',
    '-c',
    script,
  ]);
}

/** The rules file with its `define NAME = ...` lines replaced. */
function withDefines(values: Record<string, string>): string {
  let text = readFileSync(RULES, 'utf8');
  for (const [name, value] of Object.entries(values)) {
    const pattern = new RegExp(`^define ${name} = .*$`, 'm');
    assert.match(text, pattern, `the file defines ${name}`);
    text = text.replace(pattern, `define ${name} = ${value}`);
  }
  return text;
}

describe('deploy/nftables/dnsward.nft', () => {
  it('passes `nft -c -f` in a throwaway network namespace', (t) => {
    if (run('nft', ['--version']).missing) {
      unavailable(t, 'nft not found (apt-get install nftables)');
      return;
    }
    const result = inThrowawayNetns(`nft -c -f '${RULES}'`);
    if (result.missing) {
      unavailable(t, 'unshare not found (util-linux)');
      return;
    }
    assert.equal(result.status, 0, result.output);
  });

  it('loads for real (twice: reloading is idempotent) into a throwaway network namespace', (t) => {
    // `nft -c` does not catch what only the kernel rejects at commit (a statement in the wrong chain
    // type or hook), so the file is also loaded, into a namespace that disappears with the command.
    if (run('nft', ['--version']).missing) {
      unavailable(t, 'nft not found (apt-get install nftables)');
      return;
    }
    const result = inThrowawayNetns(
      `nft -f '${RULES}' && nft -f '${RULES}' && nft list tables && nft list table inet dnsward`,
    );
    assert.equal(result.status, 0, result.output);
    assert.equal(result.output.match(/^table /gm)?.length, 2, 'one table (listed twice), not a duplicate');
    for (const chain of [
      'dns_redirect_prerouting',
      'dns_redirect_output',
      'reject_bypass',
      'forward',
      'output',
      'egress_checks',
      'egress_miss',
    ]) {
      assert.match(result.output, new RegExp(`chain ${chain} \\{`));
    }
    assert.match(result.output, /set doh_v4 \{/);
    assert.match(result.output, /set doh_v6 \{/);
    for (const set of [
      'egress_agent_v4',
      'egress_agent_v6',
      'egress_v4',
      'egress_v6',
      'egress_dropped_v4',
      'egress_dropped_v6',
    ])
      assert.match(result.output, new RegExp(`set ${set} \\{`));
  });

  it('takes answer-set elements with timeouts, the way dnsward writes them (add, delete, add in one transaction)', () => {
    const script = elementScript('inet', 'dnsward', [
      { set: 'egress_agent_v4', key: '10.1.0.2 . 192.0.2.7', timeoutS: 30 },
      { set: 'egress_v6', key: '2001:db8::7', timeoutS: 30 },
    ]).trimEnd();
    const result = inThrowawayNetns(
      `nft -f '${RULES}' && printf '%s\\n' '${script}' | nft -f - && printf '%s\\n' '${script}' | nft -f - && ` +
        'nft list set inet dnsward egress_agent_v4 && nft list set inet dnsward egress_v6',
    );
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /10\.1\.0\.2 \. 192\.0\.2\.7 timeout 30s/);
    assert.match(result.output, /2001:db8::7 timeout 30s/);
  });

  it('redirects agent DNS to dnsward and rejects DoT, between network-namespace test hosts', async (t) => {
    const needs: [string, string[]][] = [
      ['nft', ['--version']],
      ['ip', ['-V']],
      ['unbound', ['-V']],
      ['dig', ['-v']],
      ['setpriv', ['--version']],
    ];
    const missing = needs.filter(([command, args]) => run(command, args).missing).map(([command]) => command);
    if (missing.length > 0) {
      unavailable(t, `${missing.join(', ')} not found (apt-get install nftables iproute2 unbound dnsutils)`);
      return;
    }
    if (!isRoot) {
      unavailable(t, 'needs root for ip netns');
      return;
    }

    // Four hosts, each a network namespace of its own, routed through R, which loads the rules:
    //   agent 10.1.0.2 -- R -- "dnsward" 10.2.0.53 (unbound answering TXT "dnsward")
    //                     R -- "rogue"   10.3.0.9  (unbound answering TXT "rogue": a resolver the agent picked)
    const id = `${process.pid % 100000}`;
    const [agent, router, dnsward, rogue] = ['a', 'r', 'd', 'x'].map((role) => `dwt${role}${id}`) as [
      string,
      string,
      string,
      string,
    ];
    const dir = mkdtempSync(join(tmpdir(), 'dnsward-nft-'));
    const children: ChildProcess[] = [];
    t.after(() => {
      for (const child of children) child.kill('SIGKILL');
      for (const ns of [agent, router, dnsward, rogue]) run('ip', ['netns', 'del', ns]);
      rmSync(dir, { recursive: true, force: true });
    });
    const ok = (command: string, args: readonly string[]): void => {
      const result = run(command, args);
      assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.output}`);
    };
    for (const ns of [agent, router, dnsward, rogue]) {
      ok('ip', ['netns', 'add', ns]);
      ok('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    const links: [string, string, string, string][] = [
      // host namespace, its address, R's address, R's interface name
      [agent, '10.1.0.2', '10.1.0.1', `ra${id}`],
      [dnsward, '10.2.0.53', '10.2.0.1', `rd${id}`],
      [rogue, '10.3.0.9', '10.3.0.1', `rx${id}`],
    ];
    for (const [ns, address, gateway, routerSide] of links) {
      ok('ip', [
        'link',
        'add',
        routerSide,
        'netns',
        router,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns,
      ]);
      ok('ip', ['-n', router, 'addr', 'add', `${gateway}/24`, 'dev', routerSide]);
      ok('ip', ['-n', router, 'link', 'set', routerSide, 'up']);
      ok('ip', ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
      ok('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      ok('ip', ['-n', ns, 'route', 'add', 'default', 'via', gateway]);
    }
    ok('ip', ['netns', 'exec', router, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);

    const rules = join(dir, 'rules.nft');
    writeFileSync(
      rules,
      withDefines({
        DNSWARD_V4: '10.2.0.53',
        AGENT_IFACES: `{ "ra${id}" }`,
        AGENT_V4: '{ 10.1.0.0/24 }',
        AGENT_UIDS: '{ 20000-29999 }',
      }),
    );
    ok('ip', ['netns', 'exec', router, 'nft', '-f', rules]);

    for (const [ns, address, marker] of [
      [dnsward, '10.2.0.53', 'dnsward'],
      [rogue, '10.3.0.9', 'rogue'],
    ] as const) {
      const config = join(dir, `${marker}.conf`);
      writeFileSync(
        config,
        [
          'server:',
          `  interface: ${address}`,
          '  port: 53',
          '  username: ""',
          '  chroot: ""',
          `  directory: "${dir}"`,
          '  pidfile: ""',
          '  use-syslog: no',
          '  logfile: ""',
          '  do-daemonize: no',
          '  do-ip6: no',
          '  access-control: 0.0.0.0/0 allow',
          '  local-zone: "example.test." static',
          `  local-data: 'who.example.test. 60 IN TXT "${marker}"'`,
          'remote-control:',
          '  control-enable: no',
          '',
        ].join('\n'),
      );
      children.push(spawn('ip', ['netns', 'exec', ns, 'unbound', '-d', '-c', config], { stdio: 'ignore' }));
    }

    /** dig's TXT answer from inside `ns`, optionally as another user; '' when no answer. */
    const ask = (ns: string, server: string, extra: readonly string[] = [], uid?: number): string => {
      const user = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
      const result = run('ip', [
        'netns',
        'exec',
        ns,
        ...user,
        'dig',
        `@${server}`,
        'who.example.test',
        'TXT',
        '+short',
        '+tries=1',
        '+time=2',
        ...extra,
      ]);
      return result.output.trim();
    };
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (ask(dnsward, '10.2.0.53') === '' || ask(rogue, '10.3.0.9') === '')) {
      await new Promise((done) => setTimeout(done, 100));
    }
    assert.equal(ask(rogue, '10.3.0.9'), '"rogue"', 'the rogue resolver answers for itself');

    assert.equal(ask(agent, '10.3.0.9'), '"dnsward"', 'agent UDP to another resolver lands on dnsward');
    assert.equal(
      ask(agent, '10.3.0.9', ['+tcp']),
      '"dnsward"',
      'agent TCP to another resolver lands on dnsward',
    );
    assert.equal(ask(agent, '10.2.0.53'), '"dnsward"', 'agent asking dnsward directly is untouched');
    assert.match(
      ask(agent, '10.3.0.9', ['-p', '853', '+tcp']),
      /connection refused|reset/i,
      'DoT is rejected',
    );

    assert.equal(ask(router, '10.3.0.9', [], 20001), '"dnsward"', 'a local agent user is redirected too');
    assert.equal(ask(router, '10.3.0.9'), '"rogue"', 'other local users (dnsward itself) are not');

    const counters = run('ip', [
      'netns',
      'exec',
      router,
      'nft',
      'list',
      'chain',
      'inet',
      'dnsward',
      'reject_bypass',
    ]);
    assert.match(counters.output, /counter packets [1-9]/, 'the reject is counted');
  });
});

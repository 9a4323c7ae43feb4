// Real stub resolvers as test clients: glibc getent, Python getaddrinfo, Node dns.lookup and dns.resolve4/6,
// Go net.Resolver (pure Go and cgo) and a static musl getaddrinfo program. Each looks up names one after the
// other and prints one JSON line per name. Go and musl programs are built into a temp dir (no downloads).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Lookup {
  readonly name: string;
  /** Sorted, de-duplicated addresses; absent when the lookup failed. */
  readonly addresses?: readonly string[];
  readonly error?: string;
  readonly ms: number;
}

export interface StubClient {
  readonly id: string;
  /** Whether it applies resolv.conf's search list and ndots (c-ares' ares_query, behind dns.resolve*, does not). */
  readonly searches: boolean;
  /** Whether it retries a truncated (TC=1) answer over TCP; musl does from 1.2.4 (Debian 12 ships 1.2.3). */
  readonly tcpFallback?: boolean;
  /** argv (run inside a namespace by the caller) that looks up `names` and prints JSON lines. */
  readonly argv: (names: readonly string[]) => string[][];
  readonly env?: Record<string, string>;
}

const PYTHON = `
import json, socket, sys, time
for name in sys.argv[1:]:
    start = time.monotonic()
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
        out = {"name": name, "addresses": [i[4][0] for i in infos]}
    except socket.gaierror as e:
        out = {"name": name, "error": e.strerror}
    out["ms"] = round((time.monotonic() - start) * 1000)
    print(json.dumps(out), flush=True)
`;

const NODE_LOOKUP = `
const dns = require('node:dns');
(async () => {
  for (const name of process.argv.slice(1)) {
    const start = performance.now();
    const out = await dns.promises.lookup(name, { all: true }).then(
      (list) => ({ name, addresses: list.map((a) => a.address) }),
      (error) => ({ name, error: error.code }),
    );
    console.log(JSON.stringify({ ...out, ms: Math.round(performance.now() - start) }));
  }
})();
`;

const NODE_RESOLVE = `
const dns = require('node:dns');
(async () => {
  for (const name of process.argv.slice(1)) {
    const start = performance.now();
    const results = await Promise.allSettled([dns.promises.resolve4(name), dns.promises.resolve6(name)]);
    const addresses = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason.code] : []));
    // NODATA for one family is an answer; the lookup failed only when no family has an address
    const out = addresses.length > 0 || errors.every((code) => code === 'ENODATA')
      ? { name, addresses }
      : { name, error: errors.join(',') };
    console.log(JSON.stringify({ ...out, ms: Math.round(performance.now() - start) }));
  }
})();
`;

const GO = `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"time"
)

func main() {
	r := &net.Resolver{PreferGo: os.Args[1] == "go"}
	for _, name := range os.Args[2:] {
		start := time.Now()
		addrs, err := r.LookupIPAddr(context.Background(), name)
		out := map[string]interface{}{"name": name}
		if err != nil {
			out["error"] = err.Error()
		} else {
			list := []string{}
			for _, a := range addrs {
				list = append(list, a.IP.String())
			}
			out["addresses"] = list
		}
		out["ms"] = time.Since(start).Milliseconds()
		b, _ := json.Marshal(out)
		fmt.Println(string(b))
	}
}
`;

const MUSL = `#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    struct addrinfo hints, *res, *p;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    long start = now_ms();
    int rc = getaddrinfo(argv[i], NULL, &hints, &res);
    long ms = now_ms() - start;
    if (rc != 0) {
      printf("{\\"name\\":\\"%s\\",\\"error\\":\\"%s\\",\\"ms\\":%ld}\\n", argv[i], gai_strerror(rc), ms);
      continue;
    }
    printf("{\\"name\\":\\"%s\\",\\"ms\\":%ld,\\"addresses\\":[", argv[i], ms);
    char text[64];
    for (p = res; p != NULL; p = p->ai_next) {
      void *addr = p->ai_family == AF_INET ? (void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr
                                           : (void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
      inet_ntop(p->ai_family, addr, text, sizeof text);
      printf("%s\\"%s\\"", p == res ? "" : ",", text);
    }
    printf("]}\\n");
    freeaddrinfo(res);
  }
  return 0;
}
`;

const PYTHON_BIN = '/usr/bin/python3';

/** Builds the Go and musl programs into a temp dir; `remove()` deletes it. */
export function buildStubClients(): { clients: StubClient[]; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dnsward-stubs-'));
  writeFileSync(join(dir, 'main.go'), GO);
  writeFileSync(join(dir, 'lookup.c'), MUSL);
  const goEnv = {
    ...process.env,
    GOCACHE: join(dir, 'gocache'),
    GOPATH: join(dir, 'gopath'),
    GO111MODULE: 'off',
    GOPROXY: 'off',
    GOFLAGS: '',
    CGO_ENABLED: '1',
  };
  execFileSync('go', ['build', '-o', join(dir, 'lookup-go'), join(dir, 'main.go')], {
    env: goEnv,
    timeout: 120_000,
    stdio: 'pipe',
  });
  execFileSync('musl-gcc', ['-static', '-O1', '-o', join(dir, 'lookup-musl'), join(dir, 'lookup.c')], {
    timeout: 60_000,
    stdio: 'pipe',
  });
  const each = (argv: (name: string) => string[]) => (names: readonly string[]) => names.map(argv);
  const all = (argv: string[]) => (names: readonly string[]) => [[...argv, ...names]];
  const clients: StubClient[] = [
    { id: 'glibc getent', searches: true, argv: each((name) => ['getent', 'ahosts', name]) },
    { id: 'python getaddrinfo', searches: true, argv: all([PYTHON_BIN, '-c', PYTHON]) },
    { id: 'node dns.lookup', searches: true, argv: all([process.execPath, '-e', NODE_LOOKUP]) },
    { id: 'node dns.resolve4/6', searches: false, argv: all([process.execPath, '-e', NODE_RESOLVE]) },
    {
      id: 'go pure',
      searches: true,
      argv: all([join(dir, 'lookup-go'), 'go']),
      env: { GODEBUG: 'netdns=go' },
    },
    {
      id: 'go cgo',
      searches: true,
      argv: all([join(dir, 'lookup-go'), 'cgo']),
      env: { GODEBUG: 'netdns=cgo' },
    },
    {
      id: 'musl getaddrinfo',
      searches: true,
      tcpFallback: muslTcpFallback(),
      argv: all([join(dir, 'lookup-musl')]),
    },
  ];
  return { clients, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** musl before 1.2.4 has no TCP fallback. */
function muslTcpFallback(): boolean {
  const banner = spawnSync('/lib/ld-musl-x86_64.so.1', [], { encoding: 'utf8' }).stderr;
  const version = /Version (\d+)\.(\d+)\.(\d+)/.exec(banner);
  if (!version) return true;
  const [major, minor, patch] = version.slice(1).map(Number) as [number, number, number];
  return major * 10000 + minor * 100 + patch >= 10204;
}

/** Runs `client` through `wrap` (e.g. `ip netns exec`), bounded by coreutils timeout; one Lookup per name. */
export function runStubClient(
  client: StubClient,
  names: readonly string[],
  wrap: (command: string, ...args: string[]) => string[],
): Lookup[] {
  const lookups: Lookup[] = [];
  for (const argv of client.argv(names)) {
    const [command = '', ...args] = wrap('timeout', '20', ...argv);
    const started = Date.now();
    const result = spawnSync(command, args, {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, ...client.env },
    });
    if (result.status === 124) throw new Error(`${client.id} timed out: ${argv.join(' ')}`);
    if (argv[0] === 'getent') {
      lookups.push(getentLookup(argv[2] ?? '', result.status, result.stdout, Date.now() - started));
      continue;
    }
    if (result.status !== 0)
      throw new Error(`${client.id} failed (${String(result.status)}): ${result.stderr}`);
    for (const line of result.stdout.split('\n').filter(Boolean)) {
      const parsed = JSON.parse(line) as Lookup;
      lookups.push(
        parsed.addresses ? { ...parsed, addresses: [...new Set(parsed.addresses)].sort() } : parsed,
      );
    }
  }
  return lookups;
}

/** `getent ahosts`: "ADDRESS STREAM name" lines; exit 2 when the name does not resolve. */
function getentLookup(name: string, status: number | null, stdout: string, ms: number): Lookup {
  if (status !== 0) return { name, error: `exit ${String(status)}`, ms };
  const addresses = stdout
    .split('\n')
    .map((line) => line.split(/\s+/)[0] ?? '')
    .filter(Boolean);
  return { name, addresses: [...new Set(addresses)].sort(), ms };
}

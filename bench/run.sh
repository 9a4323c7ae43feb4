#!/usr/bin/env bash
# `npm run bench`: the side-by-side benchmark (bench/run.ts); arguments are passed through (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in dnsperf unbound dnsdist taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is not installed (apt-get install dnsperf unbound dnsdist nsd)" >&2; exit 1; }
done
command -v nsd >/dev/null || [ -x /usr/sbin/nsd ] || echo "bench: nsd not installed; unbound serves the zone instead" >&2
echo "bench: $(uptime)" >&2
# bounded: the default run takes ~4 minutes, --long adds ~70 s
exec timeout -k 10 900 node --import tsx bench/run.ts "$@"

#!/usr/bin/env bash
# The real tools the tests drive: dig/kdig clients, unbound and nsd upstreams, tshark and tcpdump for captures,
# iodine and dns2tcp tunnels for detection tests, docker-compose to validate the compose file; real stub
# resolvers for test/deploy/stub-resolvers.test.ts (python3, golang with gcc for cgo, musl-gcc).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-node.sh
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends \
  dnsutils knot-dnsutils unbound tshark tcpdump iodine dns2tcp iproute2 nftables docker-compose nsd \
  python3 golang gcc libc6-dev musl musl-tools >/dev/null

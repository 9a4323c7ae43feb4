#!/usr/bin/env bash
# The real tools the tests drive: dig/kdig clients, an unbound upstream, tshark and tcpdump for captures, postgresql
# for the fleet store, iodine and dns2tcp tunnels for detection tests, docker-compose to validate the compose file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-node.sh
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends \
  dnsutils knot-dnsutils unbound tshark tcpdump iodine dns2tcp iproute2 nftables docker-compose postgresql >/dev/null

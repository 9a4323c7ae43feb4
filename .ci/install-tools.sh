#!/usr/bin/env bash
# The supported Node.js (tools/ensure-node.sh), then the real tools the tests drive, one group a line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-node.sh
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
packages=(
  dnsutils knot-dnsutils     # dig, kdig: the clients
  unbound nsd                # real upstreams
  tshark tcpdump             # captures
  iodine dns2tcp             # real tunnels for the detection tests
  iproute2 nftables          # network namespaces, the shipped ruleset
  docker-compose             # validates the compose file
  conntrack curl python3     # egress: connection tracking, HTTP client and servers
  fstrm-bin dnstap-ldns      # dnstap: a Frame Streams reader and decoder
  prometheus                 # promtool and a real Prometheus for the rules and dashboard
  postgresql                 # the fleet store (test/helpers/postgres.ts)
  chromium                   # headless: the evidence report
  golang gcc libc6-dev musl musl-tools # real stub resolvers: Go (pure and cgo), static musl
)
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null

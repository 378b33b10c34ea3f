#!/usr/bin/env bash
# Builds the SDK's optional native write (native/fastwrite.c) with node-gyp. Optional: without a compiler or
# node-gyp the SDK writes markers with fs.writeSync instead (same bytes, ~0.4 µs more per marker), so a failed
# build says so in one line and never fails the install.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(dirname "$here")"
cd "$here"
out=build/Release/nullspan_fastwrite.node
[ -f "$out" ] && [ "$out" -nt native/fastwrite.c ] && [ "$out" -nt binding.gyp ] && exit 0
gyp=""
if [ -x "$here/node_modules/.bin/node-gyp" ]; then gyp="$here/node_modules/.bin/node-gyp"
elif [ -x "$root/node_modules/.bin/node-gyp" ]; then gyp="$root/node_modules/.bin/node-gyp"
elif [ -n "${npm_config_node_gyp:-}" ]; then gyp="node $npm_config_node_gyp"   # npm's bundled node-gyp, during install
elif command -v node-gyp >/dev/null 2>&1; then gyp="node-gyp"
fi
if [ -z "$gyp" ]; then
  echo "@nullspan/sdk: node-gyp not found; markers will be written with fs.writeSync (slower, same bytes)." >&2
  exit 0
fi
nodedir=()
[ -f /usr/include/node/node_api.h ] && nodedir=(--nodedir=/usr)
if ! $gyp rebuild --loglevel=warn "${nodedir[@]}" >/dev/null 2>build-native.log; then
  echo "@nullspan/sdk: building the native write failed (see $here/build-native.log); markers will be written with fs.writeSync (slower, same bytes)." >&2
  exit 0
fi
rm -f build-native.log

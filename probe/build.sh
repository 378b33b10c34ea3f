#!/usr/bin/env bash
# Builds @nullspan/probe: the BPF object + skeleton (bpf/Makefile), the native addon (node-gyp, linking the
# system libbpf), the generated tables (syscall names, record layout) and the TypeScript (tsc). Idempotent.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

need() { command -v "$1" >/dev/null 2>&1 || { echo "nullspan probe build: $1 is missing; install it with \`apt-get install -y $2\`." >&2; exit 1; }; }
need clang clang
need bpftool bpftool
need pkg-config pkg-config
pkg-config --exists libbpf || { echo "nullspan probe build: libbpf is missing; install it with \`apt-get install -y libbpf-dev libelf-dev zlib1g-dev\`." >&2; exit 1; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "nullspan probe build: this kernel exposes no BTF (/sys/kernel/btf/vmlinux); nullspan needs a kernel built with CONFIG_DEBUG_INFO_BTF=y." >&2; exit 1; }

make -s -C "$root/bpf"

cd "$here"
# local binaries when installed (npx would warn about pnpm's npm config on every call)
bin() { if [ -x "$here/node_modules/.bin/$1" ]; then echo "$here/node_modules/.bin/$1"; elif [ -x "$root/node_modules/.bin/$1" ]; then echo "$root/node_modules/.bin/$1"; else echo "npx $1"; fi; }
nodedir=()
[ -f /usr/include/node/node.h ] && nodedir=(--nodedir=/usr)
if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ]; then
  $(bin node-gyp) configure --loglevel=warn "${nodedir[@]}" >/dev/null
fi
$(bin node-gyp) build --loglevel=warn "${nodedir[@]}" >/dev/null

node tools/gen-syscalls.mjs
cc -I"$root/bpf" -o build/layout tools/layout.c
node tools/gen-layout.mjs build/layout
$(bin tsc) -p "$here/tsconfig.json"

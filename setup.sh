#!/usr/bin/env bash
# One-step set-up on Debian 12 (or a derivative) as root: system packages, pnpm, dependencies, BPF object,
# native addon and TypeScript. Idempotent: a second run only checks and rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")"

fail() { echo "setup: $*" >&2; exit 1; }

[ "$(uname -s)" = Linux ] || fail "nullspan needs Linux (it traces with eBPF); this is $(uname -s)."
[ "$(id -u)" = 0 ] || fail "set-up installs system packages and nullspan loads BPF programs: run it as root (sudo bash setup.sh)."
[ -r /sys/kernel/btf/vmlinux ] || fail "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): nullspan needs Linux >= 5.8 built with CONFIG_DEBUG_INFO_BTF=y."
command -v node >/dev/null || fail "Node.js >= 20 is required and was not found on PATH."
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || fail "Node.js >= 20 is required; found $(node -v)."

# System packages: the BPF toolchain (clang, llvm, bpftool, libbpf, libelf, zlib), strace and bpftrace for the
# benchmarks' comparisons, wrk as the system benchmark's load generator, chromium for the web UI's browser test,
# clang-format for `pnpm lint`.
packages=(clang clang-format llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make g++ python3 strace bpftrace wrk chromium)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing system packages (${missing[*]}) and no apt-get to install them: install them with your package manager."
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pnpm: corepack's signature check fails against some registry mirrors, so install pnpm with npm.
if ! command -v pnpm >/dev/null || [ "$(pnpm -v 2>/dev/null | cut -d. -f1)" != 10 ]; then
  echo "setup: installing pnpm 10" >&2
  npm i -g pnpm@10 >/dev/null 2>&1 || fail "could not install pnpm with npm (npm i -g pnpm@10)."
fi

pnpm install --frozen-lockfile --reporter=silent
pnpm run build >/dev/null || { pnpm run build; fail "the build failed (see above)."; }
echo "setup: ready" >&2

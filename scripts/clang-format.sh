#!/usr/bin/env bash
# clang-format over the project's C sources (BPF programs, the probe's addon, the SDK's native write, test
# fixtures): `--check` fails on any difference (CI), without it the files are rewritten.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "lint: clang-format is missing (apt-get install clang-format, or bash setup.sh)." >&2; exit 1; }
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cc')
if [ "${1:-}" = --check ]; then
  clang-format --dry-run --Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi

#!/bin/bash
# Runs inside the guest, chrooted into the host's root (read-only 9p under a tmpfs overlay): mounts what the tests
# need, then runs each step named in /nullspan-results/config in the project directory, writing each step's output
# to /nullspan-results/<step>.log and one line per step to /nullspan-results/summary and the serial console.
set -u
R=/nullspan-results
# shellcheck source=/dev/null
. "$R/config" # PROJECT, STEPS, STEP_TIMEOUT, TEST_TIMEOUT_MS
export TEST_TIMEOUT_MS

mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
hostname nullspan-guest
ulimit -l unlimited
export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin CI=1 NO_COLOR=1

vitest() {
  node_modules/.bin/vitest run --testTimeout="$TEST_TIMEOUT_MS" --hookTimeout="$TEST_TIMEOUT_MS" "$@"
}

# The README's quick start, then a check that it wrote traces.
quickstart() {
  node correlator/dist/cli/main.js run --print --otlp-file /tmp/traces.jsonl -- node examples/hono-service/dist/demo.js &&
    test -s /tmp/traces.jsonl && echo "traces.jsonl: $(wc -l </tmp/traces.jsonl) lines"
}

# The probe's kernel tests: markers, syscalls with paths and peers, filtering, drops counted, clean detach.
probe() { vitest probe/test; }

# End to end through the CLI: the quick-start job against an OTLP receiver; async attribution (500/500); shell
# markers with capture/replay, Ctrl-C and attach.
hono() { vitest test/cli-hono.test.ts; }
attribution() { vitest test/attribution.test.ts; }
shell() { vitest test/cli-shell.test.ts; }

bench-storm() { node probe/bench/storm.mjs; }

# Diagnostic, not in the default steps: every BPF program of the built object loaded by bpftool (no attach),
# which shows what this kernel's verifier says whatever the probe's own checks decide first.
bpf-load() {
  mkdir -p /sys/fs/bpf/nullspan-check && bpftool -d prog loadall bpf/.output/nullspan.bpf.o /sys/fs/bpf/nullspan-check 2>&1 |
    grep -v '^libbpf: \(loading\|elf\|sec\|map\|prog\|CO-RE\|  \)' | tail -40
  return "${PIPESTATUS[0]}"
}

{
  echo "kernel $(uname -r)"
  echo "project $PROJECT ($(git -C "$PROJECT" log -1 --format='%h %s' 2>/dev/null | cut -c1-80))"
} | tee "$R/summary" >/dev/console

cd "$PROJECT" || exit 1
for step in $STEPS; do
  start=$(date +%s)
  timeout -k 10 "$STEP_TIMEOUT" bash -c "$(declare -f vitest "$step"); $step" >"$R/$step.log" 2>&1 </dev/null
  rc=$?
  line="STEP $step rc=$rc $(($(date +%s) - start))s"
  echo "$line" >>"$R/summary"
  echo "NULLSPAN-GUEST: $line" >/dev/console
done
sync

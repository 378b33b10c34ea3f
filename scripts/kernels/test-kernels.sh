#!/usr/bin/env bash
# `pnpm test:kernels`: boots Debian's own kernel packages under qemu and runs the probe's kernel tests, the
# end-to-end tests and the README's quick start inside, against a built project directory. The guest sees the
# host's root read-only over 9p (same node, compilers, node_modules) under a tmpfs overlay, so nothing it writes
# reaches the host; results come back on a second, writable 9p share. See scripts/kernels/README.md.
set -euo pipefail
{ # parsed whole before it runs, so editing this file cannot change a run in progress
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache="$repo/.kernels"

usage() {
  cat <<'EOF'
usage: pnpm test:kernels [--kernel 6.1|backports|all] [--project DIR] [--steps LIST | --bench storm]
                         [--accel tcg|kvm] [--timeout MINUTES]
  --kernel   6.1: Debian 12's stock kernel (newest 6.1 ABI apt offers); backports: the newest kernel in
             bookworm-backports; all: both (default 6.1)
  --project  built nullspan checkout to test (default: this repository); never written to
  --steps    comma-separated guest steps: quickstart, probe, hono, attribution, shell (default: all five);
             bpf-load (bpftool loads every BPF program of the built object: the kernel verifier's verdict)
  --bench    run a benchmark in the guest instead of the tests (storm: probe/bench/storm.mjs)
  --accel    tcg (default: works everywhere; nested KVM fails booting 6.1) or kvm
  --timeout  minutes each VM may run before it is killed (default 75)
EOF
}

fail() {
  echo "test:kernels: $*" >&2
  exit 2
}

kernels=6.1 project=$repo steps=quickstart,probe,hono,attribution,shell accel=tcg timeout_min=75
while [ $# -gt 0 ]; do
  case "$1" in
  --kernel) kernels=${2:?}; shift 2 ;;
  --project) project=$(cd "${2:?}" && pwd); shift 2 ;;
  --steps) steps=${2:?}; shift 2 ;;
  --bench) steps=bench-${2:?}; shift 2 ;;
  --accel) accel=${2:?}; shift 2 ;;
  --timeout) timeout_min=${2:?}; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
  esac
done
[ "$kernels" = all ] && kernels="6.1 backports"
for k in $kernels; do case "$k" in 6.1 | backports) ;; *) fail "unknown kernel '$k' (6.1, backports or all)." ;; esac; done
for s in ${steps//,/ }; do
  case "$s" in quickstart | probe | hono | attribution | shell | bpf-load | bench-storm) ;;
  *) fail "unknown step '$s' (quickstart, probe, hono, attribution, shell, bpf-load; --bench storm)." ;;
  esac
done
case "$accel" in tcg) accel_opt=tcg,thread=multi cpu=max ;; kvm) accel_opt=kvm cpu=host ;; *) fail "--accel is tcg or kvm." ;; esac
[ "$(id -u)" = 0 ] || fail "run it as root: it installs qemu from apt when missing and the guest loads BPF programs."
case "$project/" in /tmp/* | /run/* | /dev/* | /proc/* | /sys/*)
  fail "$project is under a directory the guest mounts afresh: put the checkout elsewhere." ;;
esac
[ -f "$project/correlator/dist/cli/main.js" ] && ls "$project"/probe/build/Release/*.node >/dev/null 2>&1 ||
  fail "$project is not built (run pnpm run build there first)."

# Downloading, unpacking and building initramfs images happen under one lock; each VM's results directory (kernel
# and steps) under its own, so a bench and a test run can share a kernel but not a results directory.
mkdir -p "$cache"
exec 9>"$cache/.lock"

# qemu, a static busybox for the initramfs, cpio to pack it.
missing=()
for p in qemu-system-x86 busybox-static cpio; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test:kernels: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi

# bookworm-backports (whose linux-image-amd64 depends on its newest kernel) through apt with its own source list and state under the cache, leaving the host's apt
# configuration as it is.
backports_apt() {
  mkdir -p "$cache/apt/lists/partial" "$cache/apt/archives/partial"
  local uri
  uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  echo "deb ${uri:-http://deb.debian.org/debian} bookworm-backports main" >"$cache/apt/backports.list"
  "$@" -o Dir::Etc::SourceList="$cache/apt/backports.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$cache/apt/lists" -o Dir::Cache="$cache/apt" -o Dir::State::Status=/var/lib/dpkg/status
}

# Prints the name of the kernel image package for $1, from apt's index (apt-get update first).
kernel_package() {
  case "$1" in
  6.1)
    apt-get update -qq >/dev/null || true
    apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' | cut -d' ' -f1 | sort -V | tail -1
    ;;
  backports)
    backports_apt apt-get update -qq >/dev/null 2>&1 || return 0
    backports_apt apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[^ ]*-amd64\)$/\1/p' | head -1
    ;;
  esac
}

# Downloads and unpacks package $1 into $cache/$1 once; prints that directory.
unpacked_kernel() {
  local dir="$cache/$1"
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir" "$cache/dl"
    mkdir -p "$cache/dl"
    if [ "$2" = backports ]; then
      (cd "$cache/dl" && backports_apt apt-get download -qq -o APT::Sandbox::User=root "$1")
    else
      (cd "$cache/dl" && apt-get download -qq -o APT::Sandbox::User=root "$1")
    fi
    dpkg-deb -x "$cache"/dl/*.deb "$dir"
    rm -rf "$cache/dl"
    touch "$dir/.done"
  fi
  echo "$dir"
}

# Builds $dir/initrd.gz: busybox, init.sh, and the modules 9p-over-virtio and overlayfs need, dependencies first.
build_initramfs() {
  local dir=$1 kver root modules order=() seen=" "
  kver=$(ls "$dir/lib/modules")
  modules="$dir/lib/modules/$kver"
  root=$(mktemp -d /tmp/nullspan-kernels-initrd.XXXXXX)
  mkdir -p "$root/bin" "$root/modules" "$root/proc" "$root/sys" "$root/dev"
  cp /bin/busybox "$root/bin/busybox"
  cp "$here/init.sh" "$root/init"
  chmod +x "$root/init"
  add_module() {
    local name=${1//-/_} ko dep
    case "$seen" in *" $name "*) return 0 ;; esac
    seen="$seen$name "
    ko=$(find "$modules/kernel" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) | head -1)
    if [ -z "$ko" ]; then
      grep -Eq "/(${name}|${name//_/-})\.ko$" "$modules/modules.builtin" || fail "kernel $kver has no module $name."
      return 0
    fi
    case "$ko" in *.xz) xz -dc "$ko" ;; *.zst) zstd -dcq "$ko" ;; *.gz) gzip -dc "$ko" ;; *) cat "$ko" ;; esac >"$root/modules/$name.ko"
    for dep in $(tr '\0' '\n' <"$root/modules/$name.ko" | sed -n 's/^depends=//p' | tr ',' ' '); do add_module "$dep"; done
    order+=("$name")
  }
  for m in virtio_pci 9pnet_virtio 9p overlay; do add_module "$m"; done
  printf '%s\n' "${order[@]}" >"$root/modules.order"
  (cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$dir/initrd.gz.tmp"
  mv "$dir/initrd.gz.tmp" "$dir/initrd.gz"
  rm -rf "$root"
}

# The counts of a step's log (vitest's test files, which count a failed beforeAll, and tests), else its last line.
outcome() {
  local counts
  counts=$(grep -E '^ *Test Files |^[0-9]+ passed, [0-9]+ failed' "$1" | sed 's/^ *//; s/  */ /g' | paste -sd';')
  echo "${counts:-$(grep -v '^ *$' "$1" | tail -1 | cut -c1-160)}"
}

# Boots kernel $1 ("6.1" or "backports"); prints one line per step and returns non-zero when any failed.
run_kernel() {
  local which=$1 pkg dir results start rc=0 qpid
  flock 9
  pkg=$(kernel_package "$which")
  if [ -z "$pkg" ]; then
    flock -u 9
    echo "== $which: no kernel package found (is the repository reachable?)"
    return 1
  fi
  dir=$(unpacked_kernel "$pkg" "$which")
  build_initramfs "$dir"
  flock -u 9
  results="$repo/test-artifacts/kernels/$which-${steps//,/-}"
  mkdir -p "$results"
  exec 8>"$results.lock"
  flock -n 8 || fail "another test:kernels run is writing $results."
  find "$results" -mindepth 1 -delete
  cp "$here/guest.sh" "$results/guest.sh"
  cat >"$results/config" <<EOF
PROJECT='$project'
STEPS='${steps//,/ }'
STEP_TIMEOUT=$((timeout_min * 60 - 180))
TEST_TIMEOUT_MS=900000
EOF
  echo "== $which: $pkg ($accel), project $project, steps ${steps//,/ }; logs in $results"
  start=$(date +%s)
  timeout -k 10 "$((timeout_min * 60))" qemu-system-x86_64 -accel "$accel_opt" -cpu "$cpu" -smp 2 -m 6144 \
    -kernel "$dir"/boot/vmlinuz-* -initrd "$dir/initrd.gz" -append "console=ttyS0 panic=-1 quiet" \
    -nodefaults -display none -no-reboot -serial "file:$results/console.log" -nic none \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$results,mount_tag=results,security_model=none" </dev/null &
  qpid=$!
  trap 'kill "$qpid" 2>/dev/null' EXIT INT TERM
  wait "$qpid" || echo "   qemu exited with $? (124: killed after --timeout $timeout_min min)"
  trap - EXIT INT TERM
  echo "   VM ran $(($(date +%s) - start)) s"
  grep -v '^STEP' "$results/summary" 2>/dev/null | sed 's/^/   /'
  for s in ${steps//,/ }; do
    local line
    line=$(grep "^STEP $s " "$results/summary" 2>/dev/null || true)
    if [ -z "$line" ]; then
      echo "   FAIL $s: did not finish (see $results/console.log)"
      rc=1
    elif [[ "$line" == *" rc=0 "* ]]; then
      echo "   pass $s (${line##* }) $(outcome "$results/$s.log")"
    else
      echo "   FAIL $s (${line#STEP $s }) $(outcome "$results/$s.log")"
      echo "        $results/$s.log"
      rc=1
    fi
  done
  return $rc
}

status=0
for k in $kernels; do run_kernel "$k" || status=1; done
exit $status
}

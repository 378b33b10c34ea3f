/* SPDX-License-Identifier: Apache-2.0 */
/* The binary record layout shared by the BPF program (nullspan.bpf.c), the native addon (probe/native) and,
 * through a generated file checked by a test, the TypeScript decoder (probe/src/layout.generated.ts).
 * This header is the one source of truth for it.
 *
 * A batch (and a capture file) is a plain concatenation of records. Every record starts with ns_hdr; `size`
 * is the record's length in bytes without padding, and the next record starts at round_up(size, 8).
 * Numbers are little-endian (x86_64). Variable-length tails (paths, payloads, socket addresses) follow the
 * fixed part of their record in the order their length fields are declared. */
#ifndef NULLSPAN_H
#define NULLSPAN_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum ns_kind {
	NS_KIND_SYSCALL = 1,
	NS_KIND_MARKER = 2,
	NS_KIND_FORK = 3,
	NS_KIND_EXEC = 4,
	NS_KIND_EXIT = 5,
	NS_KIND_DROPS = 6,
	NS_KIND_SLOT = 7,
	NS_KIND_LOST = 8,
};

/* Drop counters are kept per kind of event that could not be reserved. */
enum ns_drop_kind {
	NS_DROP_SYSCALL = 0,
	NS_DROP_MARKER = 1,
	NS_DROP_PROCESS = 2,
	NS_DROP_KINDS = 3,
};

#define NS_ADOPT_CGROUPS_MAX 16 /* cgroups auto-discovery may be limited to */
#define NS_SNAP_MAX 32768 /* largest snap length (marker payload, argv) user space may configure */
#define NS_PATH_MAX 4096 /* PATH_MAX: longest path string the kernel accepts */
#define NS_SOCKADDR_MAX 128 /* sizeof(struct sockaddr_storage) */
#define NS_MAX_IOV 1024 /* iovecs of one writev scanned for marker bytes (UIO_MAXIOV) */
#define NS_THREAD_STATES_MAX 65536 /* threads with state without task-local storage (a hash keyed by tid) */
#define NS_PEEK_IOV 8 /* leading empty iovecs skipped when peeking at a write's first bytes */
#define NS_MAX_CPUS 1024 /* CPUs the drop bookkeeping covers */
#define NS_NR_MAX 512 /* syscall numbers below this can be selected and described */
#define NS_RECORD_ALIGN 8

struct ns_hdr {
	__u32 size; /* bytes of this record, tails included, padding excluded */
	__u16 kind; /* enum ns_kind */
	__u16 cpu;
	__u64 ts; /* CLOCK_MONOTONIC ns (for syscalls: entry time) */
	__u32 tid;
	__u32 pid; /* thread-group id */
};

/* ns_syscall.flags */
#define NS_SYS_UNFINISHED 0x1 /* still blocked when the probe stopped; dur and ret are 0 */
#define NS_SYS_HAS_FDS 0x2 /* fds[] holds the two descriptors a pipe/pipe2/socketpair created */
#define NS_SYS_HAS_TIMES 0x4 /* times and sleep are the thread's scheduler accounting (unset: not accounted) */

/* Off-CPU time of a traced thread by what it waited for (probe/README.md "Scheduler accounting"). A blocked stretch
 * inside a syscall takes the call's kind (nullspan_waitkind.h); outside any syscall it is a page fault. */
enum ns_wait_kind {
	NS_WAIT_OTHER = 0,
	NS_WAIT_FILE = 1,
	NS_WAIT_NET = 2,
	NS_WAIT_LOCK = 3,
	NS_WAIT_SLEEP = 4,
	NS_WAIT_POLL = 5,
	NS_WAIT_PAGEFAULT = 6,
	NS_WAIT_KINDS = 7,
};

/* ns_syscall.sleep: how the thread slept inside the call (bits) */
#define NS_SLEPT_INTERRUPTIBLE 0x1
#define NS_SLEPT_UNINTERRUPTIBLE 0x2

/* A thread's cumulative times (ns) since its accounting began, as of a record. */
struct ns_thread_times {
	__u64 on_cpu;
	__u64 runqueue; /* runnable (woken or preempted) but not on a CPU */
	__u64 blocked[NS_WAIT_KINDS]; /* off CPU, not runnable; indexed by enum ns_wait_kind */
	__u64 major_faults; /* the task's maj_flt */
};

/* One syscall's split of [entry, exit], and the thread's split since its previous syscall record to this entry. */
struct ns_syscall_times {
	__u64 on_cpu;
	__u64 runqueue;
	__u64 blocked;
	__u64 gap_on_cpu;
	__u64 gap_runqueue;
	__u64 gap_blocked;
};

/* One completed (or, flagged, unfinished) system call. Tail: path[path_len] path2[path2_len] addr[addr_len]
 * (strings without their NUL; addr is the raw struct sockaddr the application passed or received). */
struct ns_syscall {
	struct ns_hdr h;
	__u64 dur;
	__s64 ret;
	__u64 args[6];
	__u16 nr;
	__u16 flags;
	__u16 path_len;
	__u16 path2_len;
	__u16 addr_len;
	__u8 ctx_src; /* enum ns_ctx_src: where ctx_span came from */
	__u8 sleep; /* NS_SLEPT_* */
	__s32 fds[2];
	__u64 ctx_span; /* the active span (SDK numeric span id) when the call entered; 0 = none */
	struct ns_syscall_times times; /* valid with NS_SYS_HAS_TIMES */
};

/* ns_syscall.ctx_src: which span the calling thread said was active at entry (sdk/MARKERS.md "Active span"). */
enum ns_ctx_src {
	NS_CTX_NONE = 0, /* the thread published nothing (not a Node SDK thread, or uprobes unavailable) */
	NS_CTX_SLOT = 1, /* read from the thread's registered active-span slot */
	NS_CTX_SUBMITTER = 2, /* a libuv worker running work whose submitting thread's slot held ctx_span */
};

/* Slot values that are not span ids (SDK span ids are below 2^53; 0 = no span active). */
#define NS_SPAN_UNKNOWN 0xFFFFFFFFFFFFFFFFULL /* the SDK is idle: the slot is not kept current */
#define NS_SPAN_UNSAMPLED 0xFFFFFFFFFFFFFFFEULL /* the active span is not sampled: only state calls are recorded */

/* Syscalls the kernel skipped by the calling thread's context (counted per CPU in ns_cpu_slot.skipped). */
enum ns_skip_kind {
	NS_SKIP_UNSAMPLED = 0, /* the active span is not sampled */
	NS_SKIP_OUTSIDE = 1, /* no span active (slot 0, or libuv work submitted outside any span) */
	NS_SKIP_KINDS = 2,
};

/* Active-span slot registration (sdk/MARKERS.md "Active span"): a write to the null device whose first
 * NS_SLOT_MAGIC_LEN bytes are this magic (first byte not '>'/'<', so marker parsers ignore it) registers the
 * NS_SLOT_LEN bytes that follow it in the writer's memory as the thread's slot: u32 lo, u32 hi of the active span
 * id (0 = none). A write of at least NS_SLOT_SIZE bytes also carries the probe-ack word at NS_SLOT_ACK_OFF (u32,
 * then 4 reserved zero bytes): the probe reports it (ns_slot) and user space writes a nonzero value there, telling
 * the writer a probe is reading the slot. Shorter writes (16 bytes: slots without the word) are never written to. */
#define NS_SLOT_MAGIC 0x31746c73736e0023ULL /* bytes "#\0nsslt1" little-endian: 23 00 6e 73 73 6c 74 31 */
#define NS_SLOT_MAGIC_LEN 8
#define NS_SLOT_LEN 8
#define NS_SLOT_ACK_OFF 16 /* from the slot's first byte */
#define NS_SLOT_SIZE 24

/* A write to the null character device whose first byte is '>' or '<'. Tail: data[data_len]. */
struct ns_marker {
	struct ns_hdr h;
	__s32 fd;
	__u32 len; /* bytes the application wrote (sum of all iovecs) */
	__u32 data_len; /* bytes captured: min(len, snap length) */
	__u32 flags; /* NS_MARKER_HAS_TIMES */
	struct ns_thread_times times; /* the writing thread's totals at the write */
};
#define NS_MARKER_HAS_TIMES 0x1 /* times is valid (the writer's accounting had begun) */

/* ns_fork.flags */
#define NS_FORK_THREAD 0x1 /* CLONE_THREAD: a new thread of the parent's process */
#define NS_FORK_SHARES_FILES 0x2 /* CLONE_FILES: shares the parent's fd table */

/* h.tid/h.pid are the parent's. */
struct ns_fork {
	struct ns_hdr h;
	__u32 child_tid;
	__u32 child_pid;
	__u32 flags;
	__u32 _pad;
};

/* Tail: filename[filename_len] argv[argv_len] (argv strings each terminated by NUL, possibly cut). */
struct ns_exec {
	struct ns_hdr h;
	__u32 old_tid; /* tid before exec (differs when a non-leader thread execs) */
	__u16 filename_len;
	__u16 _pad;
	__u32 argv_len;
	__u32 _pad2;
};

struct ns_exit {
	struct ns_hdr h;
	__s32 code; /* wait() status: (code << 8) | signal */
	__u32 group_dead; /* 1 when this was the last thread of its process */
};

/* Events this CPU could not reserve in the ring buffer since its previous drops record. */
struct ns_drops {
	struct ns_hdr h;
	__u64 counts[NS_DROP_KINDS]; /* indexed by enum ns_drop_kind */
};

/* A thread registered a slot with a probe-ack word (a registration of at least NS_SLOT_SIZE bytes, from a traced
 * thread or, under auto-discovery, from any writer). Lost ones count as marker drops (it is a null-device write). */
struct ns_slot {
	struct ns_hdr h;
	__u64 addr; /* user address of the slot's span id (slot + NS_SLOT_MAGIC_LEN), in process h.pid */
};

/* Records of this thread (syscalls, markers) the ring had no room for since its previous record: reported before
 * the thread's next record, so user space knows whose spans miss them. Counted in ns_drops too. */
struct ns_lost {
	struct ns_hdr h;
	__u64 records;
};

/* Per-CPU drop accounting (the `drops` map's value). */
struct ns_drop_counters {
	__u64 total[NS_DROP_KINDS]; /* since load; what stats() reports */
	__u64 pending[NS_DROP_KINDS]; /* not yet reported in the stream */
	__u64 pending_any;
};

/* Per-CPU bookkeeping in the BPF program's .bss (a cache line each): wake-ups, and the syscalls skipped by context
 * (user space sums them for stats(); the CPU's own line, so counting needs no map lookup and never contends). */
struct __attribute__((aligned(64))) ns_cpu_slot {
	__u32 unwoken;
	__u32 _pad;
	__u64 skipped[NS_SKIP_KINDS]; /* indexed by enum ns_skip_kind */
	__u64 sched_accounted; /* scheduler events (switch in/out, wake-up) accounted to traced threads */
	__u64 sched_repaired; /* a traced thread found running while its accounting said otherwise (a missed switch-in) */
};

/* ns_task_state.sched_state: what a traced thread is doing since sched_ts. */
enum ns_sched_state {
	NS_SCHED_NONE = 0, /* accounting has not begun */
	NS_SCHED_RUNNING = 1,
	NS_SCHED_RUNQUEUE = 2,
	NS_SCHED_BLOCKED = 3, /* waiting for wait_kind */
};

/* Per-thread state (the `task_states` task-local storage value, or tid-keyed hash value without task storage). */
struct ns_task_state {
	__u32 gen; /* traced_gen when `traced` was decided; stale => look the thread group up again */
	__u8 traced;
	__u8 inflight; /* a selected syscall entered and has not exited */
	__u16 nr;
	__u64 ts;
	__u64 args[6];
	__u64 slot; /* user address of the thread's active-span slot (0: none registered) */
	__u64 ctx_span; /* of the syscall in flight */
	__u64 work_span; /* libuv worker: span of the submitter of the work item being run */
	__u8 ctx_src; /* of the syscall in flight (enum ns_ctx_src) */
	__u8 in_work; /* libuv worker: inside a work function (work_span valid) */
	__u8 marker_cont; /* the last marker write ended mid-marker: capture the next null-device write */
	__u8 _pad;
	__u32 addr_cap; /* size of the address buffer an accept/recvfrom/recvmsg/getsockname passed (value-result length at entry) */
	__u32 lost; /* this thread's records the ring had no room for, not yet reported (ns_lost) */
	/* scheduler accounting of a traced thread */
	__u8 sched_state; /* enum ns_sched_state */
	__u8 wait_kind; /* of the blocked stretch in progress (enum ns_wait_kind) */
	__u8 in_sys; /* inside a syscall (any, selected or not): sys_nr/sys_arg0 are that call's */
	__u8 slept; /* NS_SLEPT_* of the selected syscall in flight */
	__u16 sys_nr;
	__u16 _pad2;
	__u64 sys_arg0; /* fd of a read/write-like call in flight: its inode type tells file from net */
	__u64 sched_ts; /* start of the stretch in progress */
	struct ns_thread_times acc; /* closed stretches (major_faults unused here: read from the task) */
	__u64 entry_on_cpu, entry_runqueue, entry_blocked; /* totals at the selected syscall's entry */
	__u64 mark_on_cpu, mark_runqueue, mark_blocked; /* totals at the thread's previous syscall record */
};

/* uv__work_submit → worker: what the submitting thread's slot held, keyed by (process, struct uv__work *). */
struct ns_work_key {
	__u64 work;
	__u32 tgid;
	__u32 _pad;
};

struct ns_work_ctx {
	__u64 span;
};

/* What to capture besides the raw registers for a syscall: ns_sysdesc(nr) encodes it in 32 bits. */
#define NS_ADDR_NONE 0
#define NS_ADDR_IN 1 /* sockaddr pointer arg + length value arg (connect, bind, sendto) */
#define NS_ADDR_OUT 2 /* sockaddr pointer arg + pointer-to-length arg, read after the call (accept, recvfrom) */
#define NS_ADDR_MSGHDR 3 /* struct msghdr pointer arg (sendmsg, recvmsg) */

#define NS_DESC(path1, path2, addr_mode, addr_arg, len_arg, fds_arg)                                                   \
	((__u32)(path1) | ((__u32)(path2) << 4) | ((__u32)(addr_mode) << 8) | ((__u32)(addr_arg) << 12) |              \
	 ((__u32)(len_arg) << 16) | ((__u32)(fds_arg) << 20))
/* Argument indexes are stored +1 so that 0 means "none". */
#define NS_P(i) ((i) + 1)
#define NS_DESC_PATH(d) ((d)&0xf)
#define NS_DESC_PATH2(d) (((d) >> 4) & 0xf)
#define NS_DESC_ADDR_MODE(d) (((d) >> 8) & 0xf)
#define NS_DESC_ADDR_ARG(d) (((d) >> 12) & 0xf)
#define NS_DESC_LEN_ARG(d) (((d) >> 16) & 0xf)
#define NS_DESC_FDS(d) (((d) >> 20) & 0xf)

#endif

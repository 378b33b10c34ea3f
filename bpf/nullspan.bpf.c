// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0)
/* nullspan's kernel side: system calls of traced processes as completed records, writes of span markers to the
 * null character device, and the process events (fork/exec/exit) needed to keep a process table.
 *
 * Hooks: tp_btf sys_enter/sys_exit and sched_process_fork/exec/exit (kprobes and fentry are not available on
 * the machines nullspan targets). Every record goes through one BPF ring buffer (`events`); records whose size
 * is fixed are reserved in place, variable ones are assembled in a per-CPU scratch buffer and copied in. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "nullspan.h"
#include "nullspan_sysdesc.h"
#include "nullspan_waitkind.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- load-time settings (written by user space into .rodata before load; the verifier sees them as
 * constants, so disabled features cost nothing) ---- */
const volatile __u32 snap_len = 4096; /* marker payload / argv capture limit, <= NS_SNAP_MAX */
const volatile __u8 follow_children = 1; /* children of traced processes are traced */
const volatile __u8 markers_all = 0; /* auto-discovery: markers from any process, writer becomes traced */
const volatile __u64 cgroup_id = 0; /* trace every process in this cgroup (v2 id) and below; 0 = off */
const volatile __u32 cgroup_level = 0; /* that cgroup's depth, for bpf_get_current_ancestor_cgroup_id */
/* auto-discovery adopts only writers inside one of these cgroups (v2 ids, depths); count 0 = anywhere */
const volatile __u32 adopt_cgroup_count = 0;
const volatile __u64 adopt_cgroup_ids[NS_ADOPT_CGROUPS_MAX] = {};
const volatile __u32 adopt_cgroup_levels[NS_ADOPT_CGROUPS_MAX] = {};
const volatile __u32 wakeup_every = 1024; /* force a consumer wake-up every this many records (per CPU-ish) */
/* bit nr set = record syscall nr */
const volatile __u64 syscall_mask[NS_NR_MAX / 64] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL };
/* Skipping by context (see skipped_by_context): calls of a thread whose active span is unsampled, and (skip_outside)
 * of a thread with no span active, are not recorded, except those in state_mask. */
const volatile __u8 skip_unsampled = 0;
const volatile __u8 skip_outside = 0;
/* bit nr set = always recorded: the call changes the fd table or process state user space keeps */
const volatile __u64 state_mask[NS_NR_MAX / 64] = {};
/* bit nr set = the call works on the fd in its first argument */
const volatile __u64 fd_arg_mask[NS_NR_MAX / 64] = {};
/* a write that carried a marker also gets a syscall record (user space that knows markers has no use for it) */
const volatile __u8 record_marker_writes = 1;
/* Kernel features the loader found (probe/native/core.c missing_features): each one cleared selects a fallback path,
 * and the verifier prunes whichever path is off, so a helper, kfunc or map type the kernel lacks is never checked. */
const volatile __u8 have_rdonly_cast = 1; /* bpf_rdonly_cast kfunc (6.2): fd table read by direct BTF loads */
const volatile __u8 have_task_storage = 1; /* task-local storage + bpf_get_current_task_btf (5.11) */
/* sched_switch passes prev_state (5.18); before, the state is read from the task (racier: a wake-up between the
 * scheduler's read and the tracepoint makes a block look like a preemption) */
const volatile __u8 have_switch_prev_state = 1;
/* Without bpf_loop (5.17) the loader takes this program compiled with NS_NO_BPF_LOOP (bpf/Makefile): kernels before
 * 5.13 reject the callback's address (a BPF_PSEUDO_FUNC load) even in dead code, so no switch can hide it. */

/* Bit per CPU: that CPU has drops not yet reported in the stream. A plain load on the hot path instead of a
 * per-CPU map lookup for every record. */
__u64 drops_pending[NS_MAX_CPUS / 64];

/* Losses of the fallback paths (user space reports them in stats): threads that found the tid-keyed state map
 * full (so are not traced while it is), and marker writevs with more iovecs than LOOP_IOV (cut there). */
__u64 thread_states_full;
__u64 iovecs_cut;

/* Bumped (by user space or by auto-discovery) whenever the traced set changes; threads whose cached decision
 * carries an older generation look their thread group up again. */
__u32 traced_gen = 1;

/* ---- maps ---- */

/** The one ring buffer every record goes through. Size is set at load (ProbeOptions.ringSize). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/** Traced thread groups (key tgid, value unused). User space adds/removes pids; the kernel adds followed
 * children and auto-discovered marker writers and removes groups when their last thread exits. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} traced_tgids SEC(".maps");

/** Thread groups auto-discovery must not adopt (key tgid, value unused): user space refused them (the agent's
 * selection). Their markers are not even read; the kernel forgets a group when its last thread exits. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} excluded_tgids SEC(".maps");

/** Per-thread state in task-local storage: the cached traced decision (so an untraced thread pays one storage
 * lookup per hook and nothing else) and the entry of the syscall in flight. User space reads it at close, by
 * pidfd, to report syscalls that are still blocked as unfinished. Without task storage (have_task_storage off) the
 * loader turns this map into a hash keyed by tid (NS_THREAD_STATES_MAX entries), created at a thread's first hook
 * and deleted at its exit; user space then reads it by tid. One map either way: libbpf 1.1 cannot leave a map
 * uncreated that dead code still names. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ns_task_state);
} task_states SEC(".maps");

/** Per-CPU drop counters by kind: totals for stats(), pending ones reported in the stream by a drops record. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ns_drop_counters);
} drops SEC(".maps");

#define NS_SCRATCH_MASK (2 * NS_SNAP_MAX - 1)
struct ns_scratch {
	/* Offsets and lengths are masked with NS_SCRATCH_MASK, so any masked write stays inside. */
	char buf[2 * (NS_SCRATCH_MASK + 1)];
};

/** Per-CPU scratch where variable-size records (paths, markers, exec) are assembled before bpf_ringbuf_output.
 * An array indexed by CPU (user space sizes it to the possible CPUs) rather than a PERCPU_ARRAY, whose values
 * are limited to 32 KiB. Programs run with migration disabled, so the slot stays ours for the whole run. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ns_scratch);
} scratch SEC(".maps");

/** execve/execveat path of a successful exec, keyed by tid: saved from the kernel's copy (bprm->filename) at
 * sched_process_exec for the syscall's exit record, because the caller's memory is gone by then. (Reading it at
 * syscall entry is not reliable: a just-forked child often has the string's page not yet mapped, and BPF cannot
 * fault it in.) A failed exec keeps the caller's memory, so its path is read at exit like any other. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, char[NS_PATH_MAX]);
} exec_paths SEC(".maps");

/** libuv work items submitted by a thread with an active-span slot (uv__work_submit uprobe), until a worker picks
 * them up (uv__*_work uprobes). LRU: work that never runs (cancelled) ages out instead of filling the map. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ns_work_key);
	__type(value, struct ns_work_ctx);
} work_ctx SEC(".maps");

/* ---- helpers ---- */

#define S_IFMT 00170000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define NULL_CHAR_DEV ((1U << 20) | 3) /* kernel-internal dev_t of 1:3 (MKDEV) */
#define E2BIG 7 /* errno of a full hash map */
#define LOOP_IOV 256 /* iovecs of a marker writev read without bpf_loop: a bounded loop the verifier walks whole */

static const __u32 zero = 0;

static __always_inline struct ns_scratch *cpu_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	return bpf_map_lookup_elem(&scratch, &cpu);
}

static __always_inline __u32 path_limit(void)
{
	return snap_len < NS_PATH_MAX ? snap_len : NS_PATH_MAX;
}

static __always_inline bool in_mask(const volatile __u64 *mask, long nr)
{
	if ((unsigned long)nr >= NS_NR_MAX)
		return false;
	return mask[(nr >> 6) & (NS_NR_MAX / 64 - 1)] & (1ULL << (nr & 63));
}

static __always_inline bool syscall_selected(long nr)
{
	return in_mask(syscall_mask, nr);
}

static __always_inline bool is_write_nr(long nr)
{
	return nr == __NR_write || nr == __NR_pwrite64 || nr == __NR_writev || nr == __NR_pwritev ||
	       nr == __NR_pwritev2;
}

/* Records each CPU submitted since its last forced wake-up, one cache line per CPU so producers on different CPUs
 * never write the same line (and never the line holding drops_pending, which every emission reads). */
struct ns_cpu_slot cpu_slots[NS_MAX_CPUS];

/* Batched wake-ups: the consumer is woken every wakeup_every records per CPU (user space sizes that to a fraction
 * of the ring) and otherwise polls on a short timeout, so light traffic still flows. */
static __always_inline __u64 submit_flags(void)
{
	struct ns_cpu_slot *slot = &cpu_slots[bpf_get_smp_processor_id() & (NS_MAX_CPUS - 1)];
	if (++slot->unwoken < wakeup_every)
		return BPF_RB_NO_WAKEUP;
	slot->unwoken = 0;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void fill_hdr(struct ns_hdr *h, __u32 size, __u16 kind, __u64 ts, __u64 pid_tgid)
{
	h->size = size;
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	h->ts = ts;
	h->tid = (__u32)pid_tgid;
	h->pid = pid_tgid >> 32;
}

static __always_inline void count_drop(int kind)
{
	struct ns_drop_counters *d = bpf_map_lookup_elem(&drops, &zero);
	if (!d)
		return;
	d->total[kind & 3]++;
	d->pending[kind & 3]++;
	d->pending_any = 1;
	__u32 cpu = bpf_get_smp_processor_id();
	__sync_fetch_and_or(&drops_pending[(cpu >> 6) & (NS_MAX_CPUS / 64 - 1)], 1ULL << (cpu & 63));
}

/* Before emitting on this CPU, report what this CPU could not emit since its last drops record, so a consumer
 * sees the gap where it happened. */
static __always_inline void report_pending_drops(__u64 pid_tgid)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 *word = &drops_pending[(cpu >> 6) & (NS_MAX_CPUS / 64 - 1)];
	if (!(*word & (1ULL << (cpu & 63))))
		return;
	struct ns_drop_counters *d = bpf_map_lookup_elem(&drops, &zero);
	if (!d || !d->pending_any)
		return;
	struct ns_drops *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r)
		return;
	fill_hdr(&r->h, sizeof(*r), NS_KIND_DROPS, bpf_ktime_get_ns(), pid_tgid);
	for (int i = 0; i < NS_DROP_KINDS; i++) {
		r->counts[i] = d->pending[i];
		d->pending[i] = 0;
	}
	d->pending_any = 0;
	__sync_fetch_and_and(word, ~(1ULL << (cpu & 63)));
	bpf_ringbuf_submit(r, submit_flags());
}

/* A small fixed-size record reserved in the ring with its header filled (drops reported first, a failed reserve
 * counted under drop_kind); NULL when the ring is full. */
static __always_inline void *reserve_fixed_record(__u32 size, __u16 kind, int drop_kind, __u64 ts, __u64 pid_tgid)
{
	report_pending_drops(pid_tgid);
	struct ns_hdr *h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		count_drop(drop_kind);
		return NULL;
	}
	fill_hdr(h, size, kind, ts, pid_tgid);
	return h;
}

/* Returns false when the ring had no room (counted under drop_kind). */
static __always_inline bool emit_scratch(struct ns_scratch *s, __u32 size, int drop_kind)
{
	if (bpf_ringbuf_output(&events, s->buf, size & NS_SCRATCH_MASK, submit_flags())) {
		count_drop(drop_kind);
		return false;
	}
	return true;
}

/* Before a thread's record: how many of its records were lost since its previous one (a branch when none). */
static __always_inline void report_thread_lost(struct ns_task_state *st, __u64 pid_tgid)
{
	if (!st->lost)
		return;
	struct ns_lost *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r)
		return;
	fill_hdr(&r->h, sizeof(*r), NS_KIND_LOST, bpf_ktime_get_ns(), pid_tgid);
	r->records = st->lost;
	st->lost = 0;
	bpf_ringbuf_submit(r, submit_flags());
}

/* Decide (and cache) whether this thread is traced. */
static __always_inline void refresh_traced(struct ns_task_state *st, __u32 tgid, __u32 gen)
{
	st->traced = bpf_map_lookup_elem(&traced_tgids, &tgid) != NULL;
	st->gen = gen;
}

static __always_inline bool in_traced_cgroup(void)
{
	return cgroup_id && bpf_get_current_ancestor_cgroup_id(cgroup_level) == cgroup_id;
}

/* Whether the current task is in (or below) one of the cgroups auto-discovery is limited to. */
static __always_inline bool in_adopt_cgroup(void)
{
	for (__u32 i = 0; i < NS_ADOPT_CGROUPS_MAX; i++) {
		if (i >= adopt_cgroup_count)
			break;
		if (bpf_get_current_ancestor_cgroup_id(adopt_cgroup_levels[i]) == adopt_cgroup_ids[i])
			return true;
	}
	return false;
}

static __always_inline void trace_thread_group(struct ns_task_state *st, __u32 tgid)
{
	__u32 one = 1;
	bpf_map_update_elem(&traced_tgids, &tgid, &one, BPF_ANY);
	st->gen = __sync_fetch_and_add(&traced_gen, 1) + 1;
	st->traced = 1;
}

/* The tid-keyed state of a thread (the fallback for task storage), created when asked and missing. */
static __always_inline struct ns_task_state *state_by_tid(__u32 tid, bool create)
{
	struct ns_task_state *st = bpf_map_lookup_elem(&task_states, &tid);
	if (st || !create)
		return st;
	struct ns_task_state fresh = {};
	if (bpf_map_update_elem(&task_states, &tid, &fresh, BPF_NOEXIST) == -E2BIG)
		__sync_fetch_and_add(&thread_states_full, 1);
	return bpf_map_lookup_elem(&task_states, &tid);
}

/* The calling thread's state (NULL: none and not created, or no room). */
static __always_inline struct ns_task_state *current_state(bool create)
{
	if (have_task_storage)
		return bpf_task_storage_get(&task_states, bpf_get_current_task_btf(), 0,
					    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	return state_by_tid((__u32)bpf_get_current_pid_tgid(), create);
}

/* The state of `task`, a BTF pointer (a tp_btf argument). */
static __always_inline struct ns_task_state *task_state(struct task_struct *task, bool create)
{
	if (have_task_storage)
		return bpf_task_storage_get(&task_states, task, 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	return state_by_tid(task->pid, create);
}

/* Weak: a kernel without it (before 6.2) still loads the program, whose call to it is then dead code. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* Type bits and device of the inode the calling thread's `fd` is open on; false when it is not open. Walks
 * current->files->fdt->fd[fd]->f_inode with direct BTF loads (a few ns) rather than bpf_probe_read_kernel calls
 * (~100 ns each on the target machines): the fd array slot is read through bpf_rdonly_cast as struct kiocb, whose
 * first member is a struct file *. Without bpf_rdonly_cast, the same walk is a chain of CO-RE kernel reads. */
static __always_inline bool fd_inode_type(long fd, __u32 *mode, __u32 *rdev)
{
	if (fd < 0)
		return false;
	if (have_rdonly_cast) {
		struct task_struct *task = bpf_get_current_task_btf();
		struct fdtable *fdt = task->files->fdt;
		if (!fdt || fd >= fdt->max_fds)
			return false;
		unsigned long slot = (unsigned long)fdt->fd + fd * sizeof(void *);
		struct kiocb *k = bpf_rdonly_cast((void *)slot, bpf_core_type_id_kernel(struct kiocb));
		struct file *f = k->ki_filp;
		if (!f)
			return false;
		struct inode *ino = f->f_inode;
		if (!ino)
			return false;
		*mode = ino->i_mode;
		*rdev = ino->i_rdev;
		return true;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return false;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), fds + fd) || !f)
		return false;
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	if (!ino)
		return false;
	*mode = BPF_CORE_READ(ino, i_mode);
	*rdev = BPF_CORE_READ(ino, i_rdev);
	return true;
}

/* Is the calling thread's `fd` open on the null character device (1:3)? Checked on the inode, so dup'ed fds, fds
 * opened by any path and fds opened before the probe started all count. */
static __always_inline bool fd_is_null_device(long fd)
{
	__u32 mode = 0, rdev = 0;
	return fd_inode_type(fd, &mode, &rdev) && (mode & S_IFMT) == S_IFCHR && rdev == NULL_CHAR_DEV;
}

/* ---- scheduler accounting: per traced thread, time on CPU, runnable (run queue) and blocked by wait kind, kept in
 * its state and carried by its marker and syscall records (probe/README.md "Scheduler accounting") ---- */

#define TASK_INTERRUPTIBLE 0x1
#define TASK_UNINTERRUPTIBLE 0x2
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFBLK 0060000

/* The state of `task` when it is traced (its traced decision refreshed if stale); NULL for every other thread, which
 * pays this lookup and nothing else. */
static __always_inline struct ns_task_state *accounted_state(struct task_struct *task)
{
	if (!task->pid)
		return NULL; /* a CPU's idle task: half of all switches on an idle-ish host, never traced */
	struct ns_task_state *st = task_state(task, false);
	if (!st)
		return NULL;
	__u32 gen = traced_gen;
	if (st->gen != gen)
		refresh_traced(st, task->tgid, gen);
	return st->traced ? st : NULL;
}

/* Closes the stretch in progress at `now` into its bucket and starts `next`. A thread without accounting begins it
 * here (nothing before `now` is counted). */
static __always_inline void sched_move(struct ns_task_state *st, __u8 next, __u64 now)
{
	__u64 d = now > st->sched_ts ? now - st->sched_ts : 0;
	__u8 cur = st->sched_state;
	if (cur == NS_SCHED_RUNNING)
		st->acc.on_cpu += d;
	else if (cur == NS_SCHED_RUNQUEUE)
		st->acc.runqueue += d;
	else if (cur == NS_SCHED_BLOCKED) {
		__u32 k = st->wait_kind &
			  7; /* the mask bounds the access for the verifier whatever the compiler reorders */
		st->acc.blocked[k < NS_WAIT_KINDS ? k : NS_WAIT_OTHER] += d;
	}
	st->sched_state = next;
	st->sched_ts = now;
	__u32 cpu = bpf_get_smp_processor_id();
	__sync_fetch_and_add(&cpu_slots[cpu & (NS_MAX_CPUS - 1)].sched_accounted, 1);
}

/* What the current thread (switching out) waits for: the kind of the syscall in flight, outside any a page fault. */
static __always_inline __u8 current_wait_kind(const struct ns_task_state *st)
{
	if (!st->in_sys)
		return NS_WAIT_PAGEFAULT;
	__u8 kind = ns_wait_table[st->sys_nr & (NS_NR_MAX - 1)];
	if (st->sys_nr >= NS_NR_MAX)
		return NS_WAIT_OTHER;
	if (kind != NS_WAIT_BY_FD)
		return kind;
	__u32 mode = 0, rdev = 0;
	if (!fd_inode_type(st->sys_arg0, &mode, &rdev))
		return NS_WAIT_OTHER;
	__u32 type = mode & S_IFMT;
	if (type == S_IFSOCK)
		return NS_WAIT_NET;
	if (type == S_IFREG || type == S_IFDIR || type == S_IFBLK)
		return NS_WAIT_FILE;
	return NS_WAIT_OTHER;
}

struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

/* The switching-out task's state, for kernels whose sched_switch does not pass it. */
static __always_inline unsigned int task_run_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ns_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u64 now = 0;
	struct ns_task_state *st = accounted_state(prev);
	if (st) {
		now = bpf_ktime_get_ns();
		unsigned int state = have_switch_prev_state ? (unsigned int)ctx[3] : task_run_state(prev);
		if (preempt || !(state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE))) {
			/* preempted, yielding (still runnable), or stopped/traced (counted as waiting for a CPU) */
			sched_move(st, NS_SCHED_RUNQUEUE, now);
		} else {
			st->wait_kind = current_wait_kind(st);
			if (st->in_sys)
				st->slept |= (state & TASK_UNINTERRUPTIBLE) ? NS_SLEPT_UNINTERRUPTIBLE
									    : NS_SLEPT_INTERRUPTIBLE;
			sched_move(st, NS_SCHED_BLOCKED, now);
		}
	}
	st = accounted_state(next);
	if (st)
		sched_move(st, NS_SCHED_RUNNING, now ? now : bpf_ktime_get_ns());
	return 0;
}

/* A traced thread made runnable: its blocked stretch ends (or its accounting begins, runnable). Wake-ups of a thread
 * still on its CPU (it had not switched out yet) or already runnable change nothing. */
static __always_inline void account_wakeup(struct task_struct *p)
{
	struct ns_task_state *st = accounted_state(p);
	if (!st || st->sched_state == NS_SCHED_RUNNING || st->sched_state == NS_SCHED_RUNQUEUE)
		return;
	sched_move(st, NS_SCHED_RUNQUEUE, bpf_ktime_get_ns());
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(ns_sched_wakeup, struct task_struct *p)
{
	account_wakeup(p);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(ns_sched_wakeup_new, struct task_struct *p)
{
	account_wakeup(p);
	return 0;
}

/* The current (traced, running) thread's totals as of `now`: closed stretches plus the running one. */
static __always_inline __u64 on_cpu_now(const struct ns_task_state *st, __u64 now)
{
	return st->acc.on_cpu + (st->sched_state == NS_SCHED_RUNNING && now > st->sched_ts ? now - st->sched_ts : 0);
}

static __always_inline __u64 blocked_total(const struct ns_task_state *st)
{
	__u64 sum = 0;
	for (int i = 0; i < NS_WAIT_KINDS; i++)
		sum += st->acc.blocked[i];
	return sum;
}

static __always_inline __u64 current_major_faults(void)
{
	if (have_task_storage)
		return bpf_get_current_task_btf()->maj_flt;
	return BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), maj_flt);
}

/* A marker's copy of the writing thread's totals; false when its accounting has not begun. */
static __always_inline bool fill_thread_times(struct ns_thread_times *t, const struct ns_task_state *st, __u64 now)
{
	if (st->sched_state == NS_SCHED_NONE)
		return false;
	t->on_cpu = on_cpu_now(st, now);
	t->runqueue = st->acc.runqueue;
	for (int i = 0; i < NS_WAIT_KINDS; i++)
		t->blocked[i] = st->acc.blocked[i];
	t->major_faults = current_major_faults();
	return true;
}

/* The current thread runs: a traced thread whose accounting says otherwise missed its switch-in (its stretch so far
 * stays where it was, and the repair is counted); one without accounting begins it. Keeps every split exact. */
static __always_inline void account_running(struct ns_task_state *st)
{
	if (st->sched_state == NS_SCHED_RUNNING)
		return;
	if (st->sched_state != NS_SCHED_NONE) {
		__u32 cpu = bpf_get_smp_processor_id();
		__sync_fetch_and_add(&cpu_slots[cpu & (NS_MAX_CPUS - 1)].sched_repaired, 1);
	}
	sched_move(st, NS_SCHED_RUNNING, bpf_ktime_get_ns());
}

/* A traced thread enters a syscall: its accounting begins if it had not, and the call is noted for the wait kind. */
static __always_inline void account_syscall_entry(struct ns_task_state *st, long nr, __u64 arg0)
{
	account_running(st);
	st->in_sys = 1;
	st->sys_nr = nr;
	st->sys_arg0 = arg0;
}

/* At a recorded syscall's entry (time ts): the totals its exit will subtract. */
static __always_inline void snapshot_syscall_entry(struct ns_task_state *st, __u64 ts)
{
	st->entry_on_cpu = on_cpu_now(st, ts);
	st->entry_runqueue = st->acc.runqueue;
	st->entry_blocked = blocked_total(st);
	st->slept = 0;
}

/* The call's split of [entry, now] and the thread's since its previous syscall record to the entry. */
static __always_inline void fill_syscall_times(struct ns_syscall *r, struct ns_task_state *st, __u64 now)
{
	if (st->sched_state == NS_SCHED_NONE)
		return;
	__u64 on = on_cpu_now(st, now), rq = st->acc.runqueue, blk = blocked_total(st);
	r->times.on_cpu = on - st->entry_on_cpu;
	r->times.runqueue = rq - st->entry_runqueue;
	r->times.blocked = blk - st->entry_blocked;
	r->times.gap_on_cpu = st->entry_on_cpu - st->mark_on_cpu;
	r->times.gap_runqueue = st->entry_runqueue - st->mark_runqueue;
	r->times.gap_blocked = st->entry_blocked - st->mark_blocked;
	st->mark_on_cpu = on;
	st->mark_runqueue = rq;
	st->mark_blocked = blk;
	r->sleep = st->slept;
	r->flags |= NS_SYS_HAS_TIMES;
}

struct ns_iovec {
	void *base;
	__u64 len;
};

/* First bytes of what a write/writev is about to write: the cheap pre-filter before the fd check. */
static __always_inline int peek_write(long nr, const __u64 *args, char peek[2])
{
	const void *buf;
	__u64 len;
	if (nr == __NR_writev || nr == __NR_pwritev || nr == __NR_pwritev2) {
		/* the first bytes written are in the first non-empty iovec */
		struct ns_iovec iov = {};
		for (int i = 0; i < NS_PEEK_IOV; i++) {
			if (i >= args[2] || bpf_probe_read_user(&iov, sizeof(iov), (struct ns_iovec *)args[1] + i))
				return -1;
			if (iov.len)
				break;
		}
		buf = iov.base;
		len = iov.len;
	} else {
		buf = (const void *)args[1];
		len = args[2];
	}
	if (len < 1)
		return -1;
	if (bpf_probe_read_user(peek, len >= 2 ? 2 : 1, buf))
		return -1;
	if (len < 2)
		peek[1] = 0;
	return 0;
}

struct ns_iov_walk {
	const struct ns_iovec *iov; /* the writer's iovec array */
	char *buf; /* the scratch buffer; the payload starts after the ns_marker header */
	__u32 snap;
	__u32 off; /* payload bytes copied */
	__u64 total; /* bytes the writev writes */
	bool failed;
};

/* One iovec of a writev: the bpf_loop callback, or (NS_NO_BPF_LOOP) the body of a bounded loop, kept a function
 * there too so the verifier checks it once per iteration rather than an unrolled copy per path. */
static __noinline long walk_iovec(__u32 i, struct ns_iov_walk *w)
{
	struct ns_iovec iov = {};
	if (bpf_probe_read_user(&iov, sizeof(iov), w->iov + i)) {
		w->failed = true;
		return 1;
	}
	w->total += iov.len;
	__u32 off = w->off;
	if (off >= w->snap || !iov.len)
		return 0;
	__u64 n = iov.len;
	if (n > w->snap - off)
		n = w->snap - off;
	/* offsets from the buffer's start, masked, so the verifier sees the write inside the scratch buffer */
	if (bpf_probe_read_user(w->buf + ((sizeof(struct ns_marker) + off) & NS_SCRATCH_MASK), n & NS_SCRATCH_MASK,
				iov.base)) {
		w->failed = true;
		return 1;
	}
	w->off = off + n;
	return 0;
}

/* Copy a marker write (all iovecs of a writev concatenated, up to snap_len) into the ring. */
static __always_inline int emit_marker(struct ns_task_state *st, long nr, const __u64 *args, __u64 ts, __u64 pid_tgid)
{
	struct ns_scratch *s = cpu_scratch();
	if (!s)
		return -1;
	struct ns_marker *m = (void *)s->buf;
	__u32 snap = snap_len;
	__u32 off = 0;
	__u64 total = 0;
	char *data = s->buf + sizeof(struct ns_marker);

	if (nr == __NR_writev || nr == __NR_pwritev || nr == __NR_pwritev2) {
		/* every iovec (UIO_MAXIOV at most): len is what the application writes, data what fits the snap */
		struct ns_iov_walk w = { .iov = (const struct ns_iovec *)args[1], .buf = s->buf, .snap = snap };
		__u64 cnt = args[2] < NS_MAX_IOV ? args[2] : NS_MAX_IOV;
#ifndef NS_NO_BPF_LOOP
		bpf_loop(cnt, walk_iovec, &w, 0);
#else
		/* a bounded loop the verifier walks iteration by iteration: LOOP_IOV iovecs, the rest cut */
		if (cnt > LOOP_IOV)
			__sync_fetch_and_add(&iovecs_cut, 1);
#pragma clang loop unroll(disable)
		for (__u32 i = 0; i < LOOP_IOV; i++)
			if (i >= cnt || walk_iovec(i, &w))
				break;
#endif
		off = w.off;
		total = w.total;
	} else {
		total = args[2];
		__u64 n = total < snap ? total : snap;
		if (!bpf_probe_read_user(data, n & NS_SCRATCH_MASK, (void *)args[1]))
			off = n;
	}
	report_pending_drops(pid_tgid);
	report_thread_lost(st, pid_tgid);
	__u32 size = sizeof(struct ns_marker) + off;
	fill_hdr(&m->h, size, NS_KIND_MARKER, ts, pid_tgid);
	m->fd = (__s32)args[0];
	m->len = total;
	m->data_len = off;
	if (fill_thread_times(&m->times, st, ts)) {
		m->flags = NS_MARKER_HAS_TIMES;
	} else {
		m->flags = 0;
		__builtin_memset(&m->times, 0, sizeof(m->times));
	}
	int last = off > 0 && off == total ? (unsigned char)data[(off - 1) & NS_SCRATCH_MASK] : -1;
	if (!emit_scratch(s, size, NS_DROP_MARKER))
		st->lost++;
	return last;
}

/* A write of NS_SLOT_MAGIC + slot to the null device registers the slot's address as the thread's active-span
 * slot (write/pwrite64 only: the SDK writes one contiguous buffer). A slot with a probe-ack word (NS_SLOT_SIZE
 * bytes written) is also reported, so user space can acknowledge it. Only traced threads and, under
 * auto-discovery, writers about to be adopted (an SDK registers right before its first marker) get here: an
 * untraced process cannot make the probe emit anything. Re-registration (once a second) re-reports. */
static __always_inline bool check_slot_registration(struct ns_task_state *st, long nr, const __u64 *args, __u64 ts,
						    __u64 pid_tgid)
{
	if ((nr != __NR_write && nr != __NR_pwrite64) || args[2] < NS_SLOT_MAGIC_LEN + NS_SLOT_LEN)
		return false;
	__u64 magic = 0;
	if (bpf_probe_read_user(&magic, sizeof(magic), (void *)args[1]) || magic != NS_SLOT_MAGIC)
		return false;
	st->slot = args[1] + NS_SLOT_MAGIC_LEN;
	if (args[2] >= NS_SLOT_SIZE) {
		struct ns_slot *r = reserve_fixed_record(sizeof(*r), NS_KIND_SLOT, NS_DROP_MARKER, ts, pid_tgid);
		if (r) {
			r->addr = st->slot;
			bpf_ringbuf_submit(r, submit_flags());
		}
	}
	return true;
}

/* Markers are checked at entry: the payload is in the caller's memory and the entry time orders it before
 * anything the write itself causes. Returns true when a marker was emitted. */
static __always_inline bool check_marker(struct ns_task_state *st, long nr, const __u64 *args, bool strict, __u64 ts,
					 __u64 pid_tgid)
{
	char peek[2];
	/* cheap fd check first: only writes to the null device pay for reading user memory */
	if (!fd_is_null_device(args[0]))
		return false;
	/* Auto-discovery neither adopts nor registers the slot of a process user space refused. Looked up only for
	 * writes to the null device, so the other writes of every untraced process on the host don't pay for it. */
	if (strict) {
		__u32 tgid = pid_tgid >> 32;
		if (bpf_map_lookup_elem(&excluded_tgids, &tgid))
			return false;
		/* outside the cgroups user space limited discovery to: never adopted, even when gone before user space
		 * could read where it was */
		if (adopt_cgroup_count && !in_adopt_cgroup())
			return false;
	}
	if (peek_write(nr, args, peek))
		return false;
	if (peek[0] == (char)(NS_SLOT_MAGIC & 0xff) && check_slot_registration(st, nr, args, ts, pid_tgid))
		return false;
	/* the continuation of a marker split across writes starts with any byte */
	if (!st->marker_cont) {
		if (peek[0] != '>' && peek[0] != '<')
			return false;
		/* auto-discovery only adopts writers of something that looks like a marker ("<:" / ">:") */
		if (strict && peek[1] != ':' && peek[1] != 0)
			return false;
	}
	int last = emit_marker(st, nr, args, ts, pid_tgid);
	/* a complete marker ends with ':' (a newline may follow); anything else was cut short by its writer */
	st->marker_cont = last >= 0 && last != ':' && last != '\n';
	return true;
}

/* Which span the thread says is active: its slot (read now, one 8-byte user read), else the submitter of the libuv
 * work it is running. */
static __always_inline void read_active_span(struct ns_task_state *st)
{
	st->ctx_span = 0;
	st->ctx_src = NS_CTX_NONE;
	if (st->slot) {
		__u64 v = 0;
		if (!bpf_probe_read_user(&v, sizeof(v), (void *)st->slot)) {
			st->ctx_span = v;
			st->ctx_src = NS_CTX_SLOT;
		}
	} else if (st->in_work) {
		st->ctx_span = st->work_span;
		st->ctx_src = NS_CTX_SUBMITTER;
	}
}

/* Could the correlator give this fd's calls to a span even though no callback runs (sdk/MARKERS.md "Active span":
 * between callbacks, a socket or file used by one open span)? Sockets and files, not pipes, anonymous inodes
 * (epoll, eventfd, timerfd...: no type bits) or the null device, which every request shares. */
static __always_inline bool fd_may_belong_to_span(long fd)
{
	__u32 mode = 0, rdev = 0;
	if (!fd_inode_type(fd, &mode, &rdev))
		return false;
	__u32 type = mode & S_IFMT;
	if (type == S_IFCHR)
		return rdev != NULL_CHAR_DEV;
	return type != 0 && type != S_IFIFO;
}

/* Should this selected call go unrecorded because no output will use it? The thread's span (read_active_span) is
 * unsampled, or (skip_outside) no span is active: only calls in state_mask are recorded then, so the fd table
 * user space keeps stays right for later sampled spans. Between callbacks (slot 0) a call on a socket or file is
 * recorded too: user space may still give it to the span that uses that fd. Threads that publish nothing, or
 * "unknown", keep every call: the kernel cannot tell whether a span is open there. */
static __always_inline bool skipped_by_context(struct ns_task_state *st, long arg0, long nr)
{
	if (!skip_unsampled && !skip_outside)
		return false;
	if (st->ctx_src == NS_CTX_NONE)
		return false;
	int kind;
	if (st->ctx_span == NS_SPAN_UNSAMPLED && skip_unsampled)
		kind = NS_SKIP_UNSAMPLED;
	else if (st->ctx_span == 0 && skip_outside)
		kind = NS_SKIP_OUTSIDE;
	else
		return false;
	if (in_mask(state_mask, nr))
		return false;
	if (kind == NS_SKIP_OUTSIDE && st->ctx_src == NS_CTX_SLOT && in_mask(fd_arg_mask, nr) &&
	    fd_may_belong_to_span(arg0))
		return false;
	__u32 cpu = bpf_get_smp_processor_id();
	/* atomic although the line is this CPU's: a program can be preempted by another run of itself on this CPU */
	__sync_fetch_and_add(&cpu_slots[cpu & (NS_MAX_CPUS - 1)].skipped[kind & (NS_SKIP_KINDS - 1)], 1);
	return true;
}

/* ---- syscalls ---- */

/* An address the kernel writes back comes with a value-result length: after the call it is the address's full
 * size, which may exceed the buffer the application gave (the kernel then wrote only that much). Keep the buffer
 * size from entry, so the exit never reads past the application's buffer. */
static __always_inline void save_addr_cap(struct ns_task_state *st, long nr)
{
	__u32 desc = ns_sysdesc_table[nr & (NS_NR_MAX - 1)];
	__u32 mode = NS_DESC_ADDR_MODE(desc);
	__u32 cap = 0;
	if (mode == NS_ADDR_OUT) {
		__u32 idx = NS_DESC_LEN_ARG(desc);
		bpf_probe_read_user(&cap, sizeof(cap), (void *)(idx < 6 ? st->args[idx] : 0));
	} else if (mode == NS_ADDR_MSGHDR && nr == __NR_recvmsg) {
		struct user_msghdr mh = {};
		__u32 idx = NS_DESC_ADDR_ARG(desc);
		if (!bpf_probe_read_user(&mh, sizeof(mh), (void *)(idx < 6 ? st->args[idx] : 0)))
			cap = mh.msg_namelen;
	} else {
		cap = NS_SOCKADDR_MAX;
	}
	st->addr_cap = cap;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(ns_sys_enter, struct pt_regs *regs, long id)
{
	struct ns_task_state *st = current_state(true);
	if (!st)
		return 0;
	__u32 gen = traced_gen;
	if (st->gen != gen)
		refresh_traced(st, bpf_get_current_pid_tgid() >> 32, gen);
	if (!st->traced && in_traced_cgroup())
		st->traced = 1;

	__u64 ts = 0;
	bool marker_seen = false;
	if (!st->traced) {
		if (!markers_all || !is_write_nr(id))
			return 0;
		__u64 pid_tgid = bpf_get_current_pid_tgid();
		__u64 args[3] = { regs->di, regs->si, regs->dx };
		ts = bpf_ktime_get_ns();
		if (!check_marker(st, id, args, true, ts, pid_tgid))
			return 0;
		trace_thread_group(st, pid_tgid >> 32);
		if (!record_marker_writes)
			return 0;
		marker_seen = true;
		/* fall through: from now on this process is traced, starting with this very write */
	}
	account_syscall_entry(st, id, regs->di);
	bool write = is_write_nr(id);
	if (!write && !syscall_selected(id))
		return 0;
	if (write && !marker_seen) {
		__u64 args[3] = { regs->di, regs->si, regs->dx };
		ts = bpf_ktime_get_ns();
		/* Unless asked for, a write that carried a marker gets no syscall record: the marker record (same entry
		 * time) stands for it, and a span's own marker writes are no work done inside it. Most of an SDK's
		 * writes are markers. */
		if (check_marker(st, id, args, false, ts, bpf_get_current_pid_tgid()) && !record_marker_writes)
			return 0;
	}
	if (!syscall_selected(id))
		return 0;
	read_active_span(st);
	/* decided before anything else is read or saved: a skipped call costs this much and no more */
	if (skipped_by_context(st, regs->di, id))
		return 0;
	st->args[0] = regs->di;
	st->args[1] = regs->si;
	st->args[2] = regs->dx;
	st->args[3] = regs->r10;
	st->args[4] = regs->r8;
	st->args[5] = regs->r9;
	save_addr_cap(st, id);
	if (!ts)
		ts = bpf_ktime_get_ns();
	st->ts = ts;
	snapshot_syscall_entry(st, ts);
	st->nr = id;
	st->inflight = 1;
	return 0;
}

static __always_inline __u64 arg_at(const struct ns_task_state *st, __u32 idx)
{
	return idx < 6 ? st->args[idx] : 0;
}

/* Read a user (or saved exec) path into the scratch record at *off; returns its length without NUL. */
static __always_inline __u16 copy_path(struct ns_scratch *s, __u32 off, const char *src, bool kernel)
{
	long n = kernel ? bpf_probe_read_kernel_str(s->buf + (off & NS_SCRATCH_MASK), path_limit(), src)
			: bpf_probe_read_user_str(s->buf + (off & NS_SCRATCH_MASK), path_limit(), src);
	return n > 0 ? n - 1 : 0;
}

static __always_inline __u16 copy_sockaddr(struct ns_scratch *s, __u32 off, const struct ns_task_state *st, __u32 desc,
					   long ret)
{
	__u32 mode = NS_DESC_ADDR_MODE(desc);
	const void *addr = (const void *)arg_at(st, NS_DESC_ADDR_ARG(desc));
	__u64 len = 0;
	if (mode == NS_ADDR_IN) {
		len = arg_at(st, NS_DESC_LEN_ARG(desc));
	} else if (mode == NS_ADDR_OUT) {
		__u32 l = 0;
		if (ret < 0)
			return 0;
		bpf_probe_read_user(&l, sizeof(l), (void *)arg_at(st, NS_DESC_LEN_ARG(desc)));
		len = l < st->addr_cap ? l : st->addr_cap;
	} else if (mode == NS_ADDR_MSGHDR) {
		struct user_msghdr mh = {};
		if (bpf_probe_read_user(&mh, sizeof(mh), addr))
			return 0;
		if (st->nr == __NR_recvmsg && ret < 0)
			return 0;
		addr = mh.msg_name;
		len = mh.msg_namelen;
		if (st->nr == __NR_recvmsg && len > st->addr_cap)
			len = st->addr_cap;
	}
	if (!addr || !len)
		return 0;
	if (len > NS_SOCKADDR_MAX)
		len = NS_SOCKADDR_MAX;
	if (bpf_probe_read_user(s->buf + (off & NS_SCRATCH_MASK), len & (NS_SOCKADDR_MAX * 2 - 1), addr))
		return 0;
	return len;
}

/* Syscalls with paths, addresses or fd arrays: assembled in scratch. */
/* The fixed part of a syscall record from the entry saved in task storage (tails are appended by the caller). */
static __always_inline void fill_syscall(struct ns_syscall *r, struct ns_task_state *st, long ret, __u64 now, __u32 nr)
{
	r->dur = now - st->ts;
	r->ret = ret;
	for (int i = 0; i < 6; i++)
		r->args[i] = st->args[i];
	r->nr = nr;
	r->flags = 0;
	r->path_len = r->path2_len = r->addr_len = 0;
	r->ctx_src = st->ctx_src;
	r->sleep = 0;
	r->fds[0] = r->fds[1] = -1;
	r->ctx_span = st->ctx_span;
	__builtin_memset(&r->times, 0, sizeof(r->times));
	fill_syscall_times(r, st, now);
}

static __always_inline void emit_syscall_full(struct ns_task_state *st, __u32 desc, long ret, __u64 now, __u64 pid_tgid)
{
	struct ns_scratch *s = cpu_scratch();
	if (!s)
		return;
	struct ns_syscall *r = (void *)s->buf;
	__u32 off = sizeof(*r);
	__u32 nr = st->nr;

	fill_syscall(r, st, ret, now, nr);

	if (NS_DESC_PATH(desc)) {
		__u32 tid = (__u32)pid_tgid;
		const char *saved = (nr == __NR_execve || nr == __NR_execveat) && ret == 0
					    ? bpf_map_lookup_elem(&exec_paths, &tid)
					    : NULL;
		if (saved) {
			r->path_len = copy_path(s, off, saved, true);
			bpf_map_delete_elem(&exec_paths, &tid);
		} else {
			r->path_len = copy_path(s, off, (const char *)arg_at(st, NS_DESC_PATH(desc) - 1), false);
		}
		off += r->path_len;
	}
	if (NS_DESC_PATH2(desc)) {
		r->path2_len = copy_path(s, off, (const char *)arg_at(st, NS_DESC_PATH2(desc) - 1), false);
		off += r->path2_len;
	}
	if (NS_DESC_ADDR_MODE(desc)) {
		r->addr_len = copy_sockaddr(s, off, st, desc, ret);
		off += r->addr_len;
	}
	if (NS_DESC_FDS(desc) && ret == 0) {
		if (!bpf_probe_read_user(r->fds, sizeof(r->fds), (void *)arg_at(st, NS_DESC_FDS(desc) - 1)))
			r->flags |= NS_SYS_HAS_FDS;
	}
	report_pending_drops(pid_tgid);
	report_thread_lost(st, pid_tgid);
	fill_hdr(&r->h, off, NS_KIND_SYSCALL, st->ts, pid_tgid);
	if (!emit_scratch(s, off, NS_DROP_SYSCALL))
		st->lost++;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ns_sys_exit, struct pt_regs *regs, long ret)
{
	struct ns_task_state *st = current_state(false);
	if (!st)
		return 0;
	st->in_sys = 0;
	if (!st->inflight)
		return 0;
	st->inflight = 0;
	account_running(st);
	__u64 now = bpf_ktime_get_ns();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 nr = st->nr;
	__u32 desc = nr < NS_NR_MAX ? ns_sysdesc_table[nr & (NS_NR_MAX - 1)] : 0;
	if (desc) {
		emit_syscall_full(st, desc, ret, now, pid_tgid);
		return 0;
	}

	/* hot path: a fixed-size record reserved straight in the ring */
	report_pending_drops(pid_tgid);
	report_thread_lost(st, pid_tgid);
	struct ns_syscall *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (!r) {
		count_drop(NS_DROP_SYSCALL);
		st->lost++;
		return 0;
	}
	fill_hdr(&r->h, sizeof(*r), NS_KIND_SYSCALL, st->ts, pid_tgid);
	fill_syscall(r, st, ret, now, nr);
	bpf_ringbuf_submit(r, submit_flags());
	return 0;
}

/* ---- processes ---- */

/* The traced state of a task, refreshed if stale; NULL when it has none (never made a syscall). */
static __always_inline struct ns_task_state *traced_state(struct task_struct *task)
{
	struct ns_task_state *st = task_state(task, false);
	if (!st)
		return NULL;
	__u32 gen = traced_gen;
	if (st->gen != gen)
		refresh_traced(st, task->tgid, gen);
	if (!st->traced && in_traced_cgroup()) /* `task` is current in all three scheduler hooks */
		st->traced = 1;
	return st->traced ? st : NULL;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ns_fork, struct task_struct *parent, struct task_struct *child)
{
	if (!traced_state(parent))
		return 0;
	bool thread = child->tgid == parent->tgid;
	if (follow_children || thread) {
		__u32 child_tgid = child->tgid;
		if (!thread) {
			__u32 one = 1;
			bpf_map_update_elem(&traced_tgids, &child_tgid, &one, BPF_ANY);
		}
		struct ns_task_state *cst = task_state(child, true);
		if (cst) {
			cst->traced = 1;
			cst->gen = traced_gen;
		}
	}
	__u64 pid_tgid = ((__u64)parent->tgid << 32) | (__u32)parent->pid;
	struct ns_fork *r =
		reserve_fixed_record(sizeof(*r), NS_KIND_FORK, NS_DROP_PROCESS, bpf_ktime_get_ns(), pid_tgid);
	if (!r)
		return 0;
	r->child_tid = child->pid;
	r->child_pid = child->tgid;
	r->flags = (thread ? NS_FORK_THREAD : 0) | (child->files == parent->files ? NS_FORK_SHARES_FILES : 0);
	r->_pad = 0;
	bpf_ringbuf_submit(r, submit_flags());
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ns_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (!have_task_storage && old_pid != p->pid) {
		/* a non-leader thread exec'd and took the leader's tid (the leader's state went at its exit) */
		__u32 old_tid = old_pid, tid = p->pid;
		struct ns_task_state *prev = bpf_map_lookup_elem(&task_states, &old_tid);
		if (prev) {
			bpf_map_update_elem(&task_states, &tid, prev, BPF_ANY);
			bpf_map_delete_elem(&task_states, &old_tid);
		}
	}
	struct ns_task_state *st = traced_state(p);
	if (!st)
		return 0;
	/* a new program: the old address space (and any slot or libuv work in it) is gone */
	st->slot = 0;
	st->in_work = 0;
	st->marker_cont = 0;
	struct ns_scratch *s = cpu_scratch();
	if (!s)
		return 0;
	struct ns_exec *r = (void *)s->buf;
	__u32 off = sizeof(*r);
	const char *filename = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(s->buf + off, path_limit(), filename);
	/* for the execve syscall record (see exec_paths) */
	__u32 tid = p->pid;
	bpf_map_update_elem(&exec_paths, &tid, s->buf + off, BPF_ANY);
	r->filename_len = n > 0 ? n - 1 : 0;
	off += r->filename_len;

	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	__u64 len = end > start ? end - start : 0;
	if (len > snap_len)
		len = snap_len;
	if (bpf_probe_read_user(s->buf + (off & NS_SCRATCH_MASK), len & NS_SCRATCH_MASK, (void *)start))
		len = 0;
	r->argv_len = len;
	off += len;
	r->old_tid = old_pid;
	r->_pad = 0;
	r->_pad2 = 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	report_pending_drops(pid_tgid);
	fill_hdr(&r->h, off, NS_KIND_EXEC, bpf_ktime_get_ns(), pid_tgid);
	emit_scratch(s, off, NS_DROP_PROCESS);
	return 0;
}

/* The exit record of a traced thread; its process leaves the traced set with its last thread. */
static __always_inline void report_exit(struct task_struct *p)
{
	/* signal->live has already been decremented for this thread (portable across kernels, unlike the
	 * group_dead argument newer kernels pass) */
	bool group_dead = BPF_CORE_READ(p, signal, live.counter) == 0;
	__u64 pid_tgid = ((__u64)p->tgid << 32) | (__u32)p->pid;
	if (group_dead) {
		__u32 tgid = p->tgid;
		bpf_map_delete_elem(&traced_tgids, &tgid);
	}
	struct ns_exit *r =
		reserve_fixed_record(sizeof(*r), NS_KIND_EXIT, NS_DROP_PROCESS, bpf_ktime_get_ns(), pid_tgid);
	if (!r)
		return;
	r->code = p->exit_code;
	r->group_dead = group_dead;
	bpf_ringbuf_submit(r, submit_flags());
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ns_exit, struct task_struct *p)
{
	if (markers_all && BPF_CORE_READ(p, signal, live.counter) == 0) {
		/* the refusal was for this process; a later one with the same pid is decided afresh */
		__u32 gone = p->tgid;
		bpf_map_delete_elem(&excluded_tgids, &gone);
	}
	if (traced_state(p))
		report_exit(p);
	if (!have_task_storage) {
		/* task storage goes with its task; the tid-keyed fallback must be freed here, for every thread */
		__u32 tid = p->pid;
		bpf_map_delete_elem(&task_states, &tid);
	}
	return 0;
}

/* ---- libuv work: which span submitted the work a worker thread runs (attached per node binary by user space,
 * sdk/MARKERS.md "Active span") ---- */

/* uv__work_submit(loop, struct uv__work *w, kind, work, done), on the submitting thread */
SEC("uprobe")
int BPF_KPROBE(ns_uv_submit, void *loop, void *w)
{
	struct ns_task_state *st = current_state(false);
	if (!st || !st->slot)
		return 0;
	struct ns_work_ctx c = {};
	if (bpf_probe_read_user(&c.span, sizeof(c.span), (void *)st->slot))
		return 0;
	struct ns_work_key k = { .work = (__u64)w, .tgid = bpf_get_current_pid_tgid() >> 32 };
	bpf_map_update_elem(&work_ctx, &k, &c, BPF_ANY);
	return 0;
}

/* uv__fs_work / uv__getaddrinfo_work / uv__queue_work / ... (struct uv__work *w), on the worker */
SEC("uprobe")
int BPF_KPROBE(ns_uv_work, void *w)
{
	struct ns_work_key k = { .work = (__u64)w, .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct ns_work_ctx *c = bpf_map_lookup_elem(&work_ctx, &k);
	if (!c)
		return 0;
	__u64 span = c->span;
	bpf_map_delete_elem(&work_ctx, &k);
	struct ns_task_state *st = current_state(true);
	if (!st)
		return 0;
	st->work_span = span;
	st->in_work = 1;
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(ns_uv_work_ret)
{
	struct ns_task_state *st = current_state(false);
	if (st)
		st->in_work = 0;
	return 0;
}

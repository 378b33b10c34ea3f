/* The probe's libbpf side in plain C (the skeleton and the shared syscall table are C, not C++):
 * load + attach, the traced set, ring-buffer consumption, drop counters, and the close-time records
 * (unfinished syscalls, not yet reported drops). addon.cc wraps it for JavaScript. */
#ifndef NULLSPAN_CORE_H
#define NULLSPAN_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nullspan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Kernel features the probe can do without, a bit each (probe/src/features.ts names them): in
 * ns_core_opts.force_fallbacks to use the fallback even where the kernel has the feature, and in what
 * ns_core_fallbacks returns. */
enum ns_fallback {
	NS_FALLBACK_RDONLY_CAST = 1 << 0, /* bpf_rdonly_cast kfunc (6.2) */
	NS_FALLBACK_TASK_STORAGE = 1 << 1, /* task-local storage + bpf_get_current_task_btf (5.11) */
	NS_FALLBACK_BPF_LOOP = 1 << 2, /* bpf_loop helper (5.17) */
	NS_FALLBACK_UPROBES = 1 << 3, /* uprobe events (CONFIG_UPROBE_EVENTS) */
	NS_FALLBACK_SWITCH_STATE = 1 << 4, /* sched_switch passing prev_state (5.18) */
	NS_FALLBACK_ALL = (1 << 5) - 1,
};

struct ns_core_opts {
	uint32_t snap_len;
	uint32_t ring_size;
	uint32_t wakeup_every; /* records between forced consumer wake-ups */
	bool follow_children;
	bool markers_all;
	uint64_t cgroup_id; /* 0: no cgroup filter */
	uint32_t cgroup_level;
	const char *cgroup_dir; /* for enumerating its processes at close */
	uint32_t
		adopt_cgroup_count; /* markers_all adopts only writers in these cgroups (v2 ids, depths); 0: anywhere */
	uint64_t adopt_cgroup_ids[NS_ADOPT_CGROUPS_MAX];
	uint32_t adopt_cgroup_levels[NS_ADOPT_CGROUPS_MAX];
	uint64_t syscall_mask[NS_NR_MAX / 64]; /* bit nr % 64 of word nr / 64: the BPF program's syscall_mask */
	bool skip_unsampled; /* the BPF program's settings of the same names (skipped_by_context) */
	bool skip_outside;
	uint64_t state_mask[NS_NR_MAX / 64];
	uint64_t fd_arg_mask[NS_NR_MAX / 64];
	bool record_marker_writes;
	uint32_t force_fallbacks; /* enum ns_fallback bits */
};

struct ns_core;

/* Called for every record, in ring order; `data` is valid only during the call. Return < 0 to stop. */
typedef int (*ns_record_fn)(void *ctx, const void *data, size_t size);

/* Loads and attaches. On failure returns NULL and writes one sentence into err. */
struct ns_core *ns_core_open(const struct ns_core_opts *opts, ns_record_fn fn, void *ctx, char *err, size_t errlen);
int ns_core_add_pid(struct ns_core *c, uint32_t pid);
int ns_core_remove_pid(struct ns_core *c, uint32_t pid);
/* untrace pid and keep auto-discovery from adopting it again until it exits */
int ns_core_exclude_pid(struct ns_core *c, uint32_t pid);
/* Waits up to timeout_ms for a wake-up, then consumes whatever is in the ring. Returns records consumed. */
int ns_core_poll(struct ns_core *c, int timeout_ms);
/* Attaches the libuv uprobes (uv__work_submit, uv__*_work) of a node binary for one process (uprobes filtered by
 * pid: other processes running that binary never hit them; the filter follows the process across exec), so its
 * worker-thread syscalls carry the span that submitted their work. Returns 0, or < 0 with one sentence in err
 * (stripped binary, libuv as a shared library, ...): tracing goes on without worker attribution. */
#define NS_MAX_LIBUV_BINARIES 8
#define NS_MAX_LIBUV_ATTACHED 256
int ns_core_attach_libuv(struct ns_core *c, const char *binary, int pid, char *err, size_t errlen);
/* Consumes everything currently in the ring. */
int ns_core_drain(struct ns_core *c);
/* The fallbacks the loaded program runs with (enum ns_fallback bits: features missing or forced), and in *missing
 * those of them the kernel lacks. */
uint32_t ns_core_fallbacks(const struct ns_core *c, uint32_t *missing);
/* What the fallbacks lost since load: threads not given state because the tid-keyed map was full, and marker
 * writevs cut at NS_LOOP_IOV iovecs. */
void ns_core_fallback_losses(const struct ns_core *c, uint64_t *thread_states_full, uint64_t *iovecs_cut);
/* Number of possible CPUs, and total drops per CPU by kind: out[cpu * NS_DROP_KINDS + kind]. */
int ns_core_cpus(const struct ns_core *c);
int ns_core_drop_totals(struct ns_core *c, uint64_t *out, int cpus);
/* Syscalls skipped by context since load, all CPUs: out[kind] for each enum ns_skip_kind. */
void ns_core_skip_totals(const struct ns_core *c, uint64_t out[NS_SKIP_KINDS]);
/* Scheduler events (switches, wake-ups) accounted to traced threads since load, and repairs of a missed switch-in,
 * all CPUs. */
void ns_core_sched_totals(const struct ns_core *c, uint64_t *accounted, uint64_t *repaired);
/* Detaches every program (nothing new enters the ring afterwards). */
void ns_core_detach(struct ns_core *c);
/* After detach: feeds records for syscalls still in flight (flagged unfinished) and for drops not yet
 * reported in the stream, in the ring's record format, to the record callback. */
void ns_core_emit_close_records(struct ns_core *c);
void ns_core_destroy(struct ns_core *c);

#ifdef __cplusplus
}
#endif

#endif

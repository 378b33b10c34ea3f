/* See core.h. */
#define _GNU_SOURCE
#include "core.h"

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "elfsyms.h"
#include "nullspan.h"
#include "nullspan_sysdesc.h"
#include "nullspan.skel.h"
#include "nullspan_noloop.skel.h"

/* the libuv functions probed: the submit function, then the work functions a worker runs a uv__work through */
#define NS_UV_FUNCS 6
static const char *const uv_functions[NS_UV_FUNCS] = { "uv__work_submit",      "uv__fs_work",
						       "uv__getaddrinfo_work", "uv__queue_work",
						       "uv__getnameinfo_work", "uv__random_work" };

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

struct ns_core {
	struct nullspan *skel;
	struct ring_buffer *rb;
	ns_record_fn fn;
	void *ctx;
	int cpus;
	uint32_t snap_len;
	uint32_t fallbacks; /* enum ns_fallback: in use */
	uint32_t missing; /* enum ns_fallback: of those, the kernel lacks */
	char cgroup_dir[4096];
	/* libuv uprobes (ns_core_attach_libuv): links of every (binary, pid) attached, and symbol offsets per binary */
	struct bpf_link **uv_links;
	int n_uv_links, cap_uv_links;
	int n_uv_attached;
	struct ns_uv_binary {
		char path[PATH_MAX];
		uint64_t offsets[NS_UV_FUNCS]; /* 0: symbol missing */
		bool readable;
	} uv_binaries[NS_MAX_LIBUV_BINARIES];
	int n_uv_binaries;
};

/* libbpf's last warning, kept to explain a failed load in the error sentence. */
static __thread char last_libbpf_msg[512];

static int capture_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '.'))
		line[--n] = 0;
	if (n)
		memcpy(last_libbpf_msg, line, n + 1);
	return 0;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct ns_core *c = ctx;
	return c->fn(c->ctx, data, size);
}

static void fail(char *err, size_t errlen, const char *what, int e)
{
	if (e == EPERM || e == EACCES)
		snprintf(
			err, errlen,
			"%s was refused (%s): run as root, or grant CAP_BPF and CAP_PERFMON (README \"Requirements\").",
			what, strerror(e));
	else if (last_libbpf_msg[0])
		snprintf(err, errlen, "%s failed (%s; libbpf: %s).", what, strerror(e), last_libbpf_msg);
	else
		snprintf(err, errlen, "%s failed (%s).", what, strerror(e));
}

static bool has_helper(enum bpf_func_id helper)
{
	/* kprobe programs get every helper the tracing programs use, and libbpf 1.1 cannot probe tracing programs */
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, helper, NULL) == 1;
}

static bool has_kfunc(const char *name)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return false;
	bool found = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	return found;
}

/* Whether sched_switch passes prev_state (5.18): its BTF typedef btf_trace_sched_switch points to a prototype
 * (void *, preempt, prev, next, prev_state). Older kernels get the state read from the task instead. */
static bool switch_passes_prev_state(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return false;
	bool found = false;
	int id = btf__find_by_name_kind(vmlinux, "btf_trace_sched_switch", BTF_KIND_TYPEDEF);
	const struct btf_type *t = id > 0 ? btf__type_by_id(vmlinux, id) : NULL;
	if (t)
		t = btf__type_by_id(vmlinux, t->type);
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(vmlinux, t->type);
	found = t && btf_is_func_proto(t) && btf_vlen(t) >= 5;
	btf__free(vmlinux);
	return found;
}

/* The features above the floor this kernel lacks, the libbpf-tools way: load a tiny program or map for each. */
static uint32_t missing_features(void)
{
	uint32_t missing = 0;
	if (!has_kfunc("bpf_rdonly_cast"))
		missing |= NS_FALLBACK_RDONLY_CAST;
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) != 1 ||
	    !has_helper(BPF_FUNC_get_current_task_btf) || !has_helper(BPF_FUNC_task_storage_get))
		missing |= NS_FALLBACK_TASK_STORAGE;
	if (!has_helper(BPF_FUNC_loop))
		missing |= NS_FALLBACK_BPF_LOOP;
	if (access("/sys/bus/event_source/devices/uprobe/type", F_OK))
		missing |= NS_FALLBACK_UPROBES;
	if (!switch_passes_prev_state())
		missing |= NS_FALLBACK_SWITCH_STATE;
	return missing;
}

/* The floor: without ring buffers (5.8) there is no fallback. One sentence, or 0. (BTF, the other half of the floor,
 * is checked by probe/src/options.ts checkEnvironment; libbpf 1.1 cannot probe tracing program types.) */
static int check_floor(char *err, size_t errlen)
{
	struct utsname u;
	const char *release = uname(&u) ? "unknown" : u.release;
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		snprintf(err, errlen,
			 "This kernel (%s) has no BPF ring buffer, which the probe needs (Linux 5.8 or newer).",
			 release);
		return -1;
	}
	return 0;
}

/* The embedded object: without bpf_loop, the one compiled without it, opened through the same skeleton (its maps,
 * programs and globals are the same by name and layout). */
static struct nullspan *open_object(uint32_t fallbacks)
{
	if (!(fallbacks & NS_FALLBACK_BPF_LOOP))
		return nullspan__open();
	struct nullspan *obj = calloc(1, sizeof(*obj));
	if (!obj)
		return NULL;
	int e = nullspan__create_skeleton(obj);
	if (!e) {
		obj->skeleton->data = (void *)nullspan_noloop__elf_bytes(&obj->skeleton->data_sz);
		e = bpf_object__open_skeleton(obj->skeleton, NULL);
	}
	if (e) {
		nullspan__destroy(obj);
		errno = -e;
		return NULL;
	}
	return obj;
}

/* Sets the program's feature switches and, without task storage, turns task_states into a tid-keyed hash. */
static int select_variants(struct nullspan *skel, uint32_t fallbacks)
{
	struct nullspan__rodata *ro = skel->rodata;
	ro->have_rdonly_cast = !(fallbacks & NS_FALLBACK_RDONLY_CAST);
	ro->have_task_storage = !(fallbacks & NS_FALLBACK_TASK_STORAGE);
	ro->have_switch_prev_state = !(fallbacks & NS_FALLBACK_SWITCH_STATE);
	int e = 0;
	if (fallbacks & NS_FALLBACK_TASK_STORAGE) {
		e = bpf_map__set_type(skel->maps.task_states, BPF_MAP_TYPE_HASH);
		if (!e)
			e = bpf_map__set_max_entries(skel->maps.task_states, NS_THREAD_STATES_MAX);
	}
	if (!e && (fallbacks & NS_FALLBACK_UPROBES)) {
		e = bpf_program__set_autoload(skel->progs.ns_uv_submit, false);
		if (!e)
			e = bpf_program__set_autoload(skel->progs.ns_uv_work, false);
		if (!e)
			e = bpf_program__set_autoload(skel->progs.ns_uv_work_ret, false);
	}
	return e;
}

struct ns_core *ns_core_open(const struct ns_core_opts *o, ns_record_fn fn, void *ctx, char *err, size_t errlen)
{
	libbpf_set_print(capture_libbpf);
	last_libbpf_msg[0] = 0;
	struct ns_core *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "Out of memory while opening the probe.");
		return NULL;
	}
	c->fn = fn;
	c->ctx = ctx;
	c->snap_len = o->snap_len;
	c->cpus = libbpf_num_possible_cpus();
	if (o->cgroup_dir)
		snprintf(c->cgroup_dir, sizeof(c->cgroup_dir), "%s", o->cgroup_dir);
	if (check_floor(err, errlen))
		goto out;
	c->missing = missing_features();
	c->fallbacks = c->missing | (o->force_fallbacks & NS_FALLBACK_ALL);

	c->skel = open_object(c->fallbacks);
	if (!c->skel) {
		fail(err, errlen, "Opening the embedded BPF object", errno);
		goto out;
	}
	struct nullspan__rodata *ro = c->skel->rodata;
	ro->snap_len = o->snap_len;
	ro->follow_children = o->follow_children;
	ro->markers_all = o->markers_all;
	ro->cgroup_id = o->cgroup_id;
	ro->cgroup_level = o->cgroup_level;
	ro->adopt_cgroup_count = o->adopt_cgroup_count;
	memcpy((void *)ro->adopt_cgroup_ids, o->adopt_cgroup_ids, sizeof(o->adopt_cgroup_ids));
	memcpy((void *)ro->adopt_cgroup_levels, o->adopt_cgroup_levels, sizeof(o->adopt_cgroup_levels));
	ro->wakeup_every = o->wakeup_every;
	memcpy((void *)ro->syscall_mask, o->syscall_mask, sizeof(o->syscall_mask));
	ro->skip_unsampled = o->skip_unsampled;
	ro->skip_outside = o->skip_outside;
	memcpy((void *)ro->state_mask, o->state_mask, sizeof(o->state_mask));
	memcpy((void *)ro->fd_arg_mask, o->fd_arg_mask, sizeof(o->fd_arg_mask));
	ro->record_marker_writes = o->record_marker_writes;
	int e = select_variants(c->skel, c->fallbacks);
	if (!e)
		e = bpf_map__set_max_entries(c->skel->maps.events, o->ring_size);
	if (!e)
		e = bpf_map__set_max_entries(c->skel->maps.scratch, c->cpus > 0 ? c->cpus : 1);
	if (e) {
		fail(err, errlen, "Sizing the BPF maps", -e);
		goto out;
	}
	e = nullspan__load(c->skel);
	if (e) {
		fail(err, errlen, "Loading the BPF program into the kernel", -e);
		goto out;
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.events), on_sample, c, NULL);
	if (!c->rb) {
		fail(err, errlen, "Mapping the BPF ring buffer", errno);
		goto out;
	}
	e = nullspan__attach(c->skel);
	if (e) {
		fail(err, errlen, "Attaching the BPF programs to the syscall and scheduler tracepoints", -e);
		goto out;
	}
	return c;
out:
	ns_core_destroy(c);
	return NULL;
}

static void bump_generation(struct ns_core *c)
{
	__atomic_fetch_add(&c->skel->data->traced_gen, 1, __ATOMIC_SEQ_CST);
}

int ns_core_add_pid(struct ns_core *c, uint32_t pid)
{
	uint32_t one = 1;
	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.traced_tgids), &pid, &one, BPF_ANY))
		return -errno;
	bump_generation(c);
	return 0;
}

int ns_core_remove_pid(struct ns_core *c, uint32_t pid)
{
	int e = bpf_map_delete_elem(bpf_map__fd(c->skel->maps.traced_tgids), &pid);
	bump_generation(c);
	return e && errno != ENOENT ? -errno : 0;
}

int ns_core_exclude_pid(struct ns_core *c, uint32_t pid)
{
	uint32_t one = 1;
	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.excluded_tgids), &pid, &one, BPF_ANY))
		return -errno;
	return ns_core_remove_pid(c, pid);
}

int ns_core_poll(struct ns_core *c, int timeout_ms)
{
	/* Producers wake us only past a fill threshold (batched wake-ups); the timeout bounds latency when
	 * traffic is light, so consume after every wait whether or not we were woken. */
	int n = ring_buffer__poll(c->rb, timeout_ms);
	if (n < 0 && n != -EINTR)
		return n;
	int m = ring_buffer__consume(c->rb);
	return (n > 0 ? n : 0) + (m > 0 ? m : 0);
}

int ns_core_drain(struct ns_core *c)
{
	int total = 0, n;
	while ((n = ring_buffer__consume(c->rb)) > 0)
		total += n;
	return total;
}

uint32_t ns_core_fallbacks(const struct ns_core *c, uint32_t *missing)
{
	*missing = c->missing;
	return c->fallbacks;
}

void ns_core_fallback_losses(const struct ns_core *c, uint64_t *thread_states_full, uint64_t *iovecs_cut)
{
	*thread_states_full = __atomic_load_n(&c->skel->bss->thread_states_full, __ATOMIC_RELAXED);
	*iovecs_cut = __atomic_load_n(&c->skel->bss->iovecs_cut, __ATOMIC_RELAXED);
}

int ns_core_cpus(const struct ns_core *c)
{
	return c->cpus;
}

int ns_core_drop_totals(struct ns_core *c, uint64_t *out, int cpus)
{
	struct ns_drop_counters *vals = calloc(c->cpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	uint32_t key = 0;
	int e = bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.drops), &key, vals);
	if (!e)
		for (int cpu = 0; cpu < cpus && cpu < c->cpus; cpu++)
			for (int k = 0; k < NS_DROP_KINDS; k++)
				out[cpu * NS_DROP_KINDS + k] = vals[cpu].total[k];
	free(vals);
	return e ? -errno : 0;
}

void ns_core_skip_totals(const struct ns_core *c, uint64_t out[NS_SKIP_KINDS])
{
	for (int k = 0; k < NS_SKIP_KINDS; k++)
		out[k] = 0;
	/* each CPU's line is written only by programs on that CPU; a torn read is impossible for aligned u64 */
	for (int cpu = 0; cpu < c->cpus && cpu < NS_MAX_CPUS; cpu++)
		for (int k = 0; k < NS_SKIP_KINDS; k++)
			out[k] += __atomic_load_n(&c->skel->bss->cpu_slots[cpu].skipped[k], __ATOMIC_RELAXED);
}

void ns_core_sched_totals(const struct ns_core *c, uint64_t *accounted, uint64_t *repaired)
{
	*accounted = *repaired = 0;
	for (int cpu = 0; cpu < c->cpus && cpu < NS_MAX_CPUS; cpu++) {
		*accounted += __atomic_load_n(&c->skel->bss->cpu_slots[cpu].sched_accounted, __ATOMIC_RELAXED);
		*repaired += __atomic_load_n(&c->skel->bss->cpu_slots[cpu].sched_repaired, __ATOMIC_RELAXED);
	}
}

static void destroy_uv_links(struct ns_core *c)
{
	for (int i = 0; i < c->n_uv_links; i++)
		bpf_link__destroy(c->uv_links[i]);
	c->n_uv_links = 0;
	c->n_uv_attached = 0;
	free(c->uv_links);
	c->uv_links = NULL;
	c->cap_uv_links = 0;
}

void ns_core_detach(struct ns_core *c)
{
	destroy_uv_links(c);
	if (c->skel)
		nullspan__detach(c->skel);
}

static bool attach_uprobe(struct ns_core *c, struct bpf_program *prog, const char *binary, uint64_t offset, int pid,
			  bool ret)
{
	if (c->n_uv_links == c->cap_uv_links) {
		int cap = c->cap_uv_links ? 2 * c->cap_uv_links : 64;
		struct bpf_link **links = realloc(c->uv_links, cap * sizeof(*links));
		if (!links)
			return false;
		c->uv_links = links;
		c->cap_uv_links = cap;
	}
	LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, pid, binary, offset, &o);
	if (!l)
		return false;
	c->uv_links[c->n_uv_links++] = l;
	return true;
}

/* The symbol offsets of a binary, looked up once. */
static struct ns_uv_binary *uv_binary(struct ns_core *c, const char *real)
{
	for (int i = 0; i < c->n_uv_binaries; i++)
		if (!strcmp(c->uv_binaries[i].path, real))
			return &c->uv_binaries[i];
	if (c->n_uv_binaries >= NS_MAX_LIBUV_BINARIES)
		return NULL;
	struct ns_uv_binary *b = &c->uv_binaries[c->n_uv_binaries++];
	snprintf(b->path, sizeof(b->path), "%s", real);
	b->readable = ns_elf_func_offsets(real, uv_functions, NS_UV_FUNCS, b->offsets) >= 0;
	return b;
}

int ns_core_attach_libuv(struct ns_core *c, const char *binary, int pid, char *err, size_t errlen)
{
	char real[PATH_MAX];
	if (!realpath(binary, real)) {
		int e = errno;
		snprintf(err, errlen, "Cannot resolve %s (%s).", binary, strerror(e));
		return -e;
	}
	if (c->n_uv_attached >= NS_MAX_LIBUV_ATTACHED) {
		snprintf(err, errlen, "Already watching libuv in %d processes; process %d is left out.",
			 NS_MAX_LIBUV_ATTACHED, pid);
		return -E2BIG;
	}
	if (c->fallbacks & NS_FALLBACK_UPROBES) {
		snprintf(err, errlen, "This kernel has no uprobe events (CONFIG_UPROBE_EVENTS).");
		return -EOPNOTSUPP;
	}
	struct ns_uv_binary *b = uv_binary(c, real);
	if (!b) {
		snprintf(err, errlen, "Already watching libuv in %d binaries; %s is left out.", NS_MAX_LIBUV_BINARIES,
			 real);
		return -E2BIG;
	}
	/* the submit probe and the file system work probe are required; the other work types are optional */
	if (!b->readable || !b->offsets[0] || !b->offsets[1]) {
		snprintf(err, errlen,
			 "%s has no libuv work-queue symbols to probe (uv__work_submit, uv__fs_work): a stripped "
			 "binary, or libuv as a shared library.",
			 real);
		return -ENOENT;
	}
	int first = c->n_uv_links;
	last_libbpf_msg[0] = 0;
	bool ok = attach_uprobe(c, c->skel->progs.ns_uv_submit, real, b->offsets[0], pid, false);
	for (int i = 1; ok && i < NS_UV_FUNCS; i++) {
		if (!b->offsets[i])
			continue;
		/* never an entry without its return: a worker would keep the context after the work */
		ok = attach_uprobe(c, c->skel->progs.ns_uv_work_ret, real, b->offsets[i], pid, true) &&
		     attach_uprobe(c, c->skel->progs.ns_uv_work, real, b->offsets[i], pid, false);
	}
	if (!ok) {
		int e = errno;
		for (int i = first; i < c->n_uv_links; i++)
			bpf_link__destroy(c->uv_links[i]);
		c->n_uv_links = first;
		snprintf(err, errlen, "Attaching uprobes to %s for process %d failed (%s%s%s).", real, pid, strerror(e),
			 last_libbpf_msg[0] ? "; " : "", last_libbpf_msg);
		return -e;
	}
	c->n_uv_attached++;
	return 0;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* process_vm_readv fails a whole chunk that crosses into an unmapped page, so remote strings are read page by page */
#define REMOTE_PAGE_SIZE 4096
/* cgroup levels searched below the traced cgroup for processes with calls in flight */
#define MAX_CGROUP_DEPTH 16

/* Reads a NUL-terminated string from another process, page by page (a string may end just before an unmapped
 * page). Returns its length without the NUL. */
static size_t read_remote_str(pid_t pid, uint64_t addr, char *dst, size_t max)
{
	size_t got = 0;
	while (addr && got < max) {
		size_t chunk = REMOTE_PAGE_SIZE - ((addr + got) & (REMOTE_PAGE_SIZE - 1));
		if (chunk > max - got)
			chunk = max - got;
		struct iovec local = { dst + got, chunk }, remote = { (void *)(addr + got), chunk };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			break;
		char *nul = memchr(dst + got, 0, n);
		if (nul)
			return nul - dst;
		got += n;
	}
	return got;
}

static bool read_remote(pid_t pid, uint64_t addr, void *dst, size_t len)
{
	struct iovec local = { dst, len }, remote = { (void *)addr, len };
	return addr && process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

/* The address a blocked call was given (connect, bind, sendto, sendmsg): still intact in its memory. Addresses the
 * kernel writes back (accept, recvfrom, recvmsg) do not exist yet. */
static uint16_t read_remote_sockaddr(pid_t pid, const struct ns_task_state *st, uint32_t desc, char *dst)
{
	uint32_t mode = NS_DESC_ADDR_MODE(desc), ai = NS_DESC_ADDR_ARG(desc), li = NS_DESC_LEN_ARG(desc);
	uint64_t addr = 0, len = 0;
	if (mode == NS_ADDR_IN && ai < 6 && li < 6) {
		addr = st->args[ai];
		len = st->args[li];
	} else if (mode == NS_ADDR_MSGHDR && st->nr == __NR_sendmsg && ai < 6) {
		struct msghdr mh;
		if (!read_remote(pid, st->args[ai], &mh, sizeof(mh)))
			return 0;
		addr = (uint64_t)mh.msg_name;
		len = mh.msg_namelen;
	}
	if (len > NS_SOCKADDR_MAX)
		len = NS_SOCKADDR_MAX;
	return len && read_remote(pid, addr, dst, len) ? len : 0;
}

/* One unfinished-syscall record from a thread's task state; arguments that are paths are read from the
 * still-blocked process's memory, which is intact while it waits. */
static void emit_unfinished(struct ns_core *c, uint32_t pid, uint32_t tid, const struct ns_task_state *st)
{
	size_t limit = c->snap_len < NS_PATH_MAX ? c->snap_len : NS_PATH_MAX;
	size_t cap = sizeof(struct ns_syscall) + 2 * limit + NS_SOCKADDR_MAX + 8;
	char *buf = calloc(1, cap);
	if (!buf)
		return;
	struct ns_syscall *r = (struct ns_syscall *)buf;
	size_t off = sizeof(*r);
	uint32_t desc = st->nr < NS_NR_MAX ? ns_sysdesc_table[st->nr] : 0;
	if (NS_DESC_PATH(desc)) {
		r->path_len = read_remote_str(pid, st->args[NS_DESC_PATH(desc) - 1], buf + off, limit);
		off += r->path_len;
	}
	if (NS_DESC_PATH2(desc)) {
		r->path2_len = read_remote_str(pid, st->args[NS_DESC_PATH2(desc) - 1], buf + off, limit);
		off += r->path2_len;
	}
	r->addr_len = read_remote_sockaddr(pid, st, desc, buf + off);
	off += r->addr_len;
	r->h.size = off;
	r->h.kind = NS_KIND_SYSCALL;
	r->h.cpu = 0xffff; /* unknown: the thread is asleep */
	r->h.ts = st->ts;
	r->h.tid = tid;
	r->h.pid = pid;
	memcpy(r->args, st->args, sizeof(r->args));
	r->nr = st->nr;
	r->flags = NS_SYS_UNFINISHED;
	r->ctx_src = st->ctx_src;
	r->ctx_span = st->ctx_span;
	r->fds[0] = r->fds[1] = -1;
	c->fn(c->ctx, buf, off);
	free(buf);
}

static void emit_unfinished_of_process(struct ns_core *c, uint32_t pid)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%u/task", pid);
	DIR *d = opendir(dir);
	if (!d)
		return;
	int storage = bpf_map__fd(c->skel->maps.task_states);
	bool by_tid = c->fallbacks & NS_FALLBACK_TASK_STORAGE;
	struct dirent *de;
	while ((de = readdir(d))) {
		uint32_t tid = strtoul(de->d_name, NULL, 10);
		if (!tid)
			continue;
		struct ns_task_state st;
		if (by_tid) {
			if (!bpf_map_lookup_elem(storage, &tid, &st) && st.traced && st.inflight)
				emit_unfinished(c, pid, tid, &st);
			continue;
		}
		/* task storage is keyed by pidfd; PIDFD_THREAD (Linux 6.9) names a thread, older kernels only
		 * accept thread-group leaders */
		int pidfd = syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
		if (pidfd < 0 && tid == pid)
			pidfd = syscall(SYS_pidfd_open, tid, 0);
		if (pidfd < 0)
			continue;
		if (!bpf_map_lookup_elem(storage, &pidfd, &st) && st.traced && st.inflight)
			emit_unfinished(c, pid, tid, &st);
		close(pidfd);
	}
	closedir(d);
}

static void emit_unfinished_of_cgroup(struct ns_core *c, const char *dir, int depth)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "r");
	if (f) {
		unsigned pid;
		while (fscanf(f, "%u", &pid) == 1)
			emit_unfinished_of_process(c, pid);
		fclose(f);
	}
	if (depth > MAX_CGROUP_DEPTH)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			emit_unfinished_of_cgroup(c, path, depth + 1);
		}
	closedir(d);
}

void ns_core_emit_close_records(struct ns_core *c)
{
	/* syscalls still blocked: every thread of every traced process */
	int set = bpf_map__fd(c->skel->maps.traced_tgids);
	uint32_t key, next, *prev = NULL;
	while (!bpf_map_get_next_key(set, prev, &next)) {
		emit_unfinished_of_process(c, next);
		key = next;
		prev = &key;
	}
	if (c->cgroup_dir[0])
		emit_unfinished_of_cgroup(c, c->cgroup_dir, 0);

	/* drops the kernel counted but never got to report in the stream */
	struct ns_drop_counters *vals = calloc(c->cpus, sizeof(*vals));
	uint32_t zero = 0;
	if (vals && !bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.drops), &zero, vals)) {
		for (int cpu = 0; cpu < c->cpus; cpu++) {
			if (!vals[cpu].pending_any)
				continue;
			struct ns_drops r = { 0 };
			r.h.size = sizeof(r);
			r.h.kind = NS_KIND_DROPS;
			r.h.cpu = cpu;
			r.h.ts = monotonic_ns();
			for (int k = 0; k < NS_DROP_KINDS; k++)
				r.counts[k] = vals[cpu].pending[k];
			c->fn(c->ctx, &r, sizeof(r));
		}
	}
	free(vals);
}

void ns_core_destroy(struct ns_core *c)
{
	if (!c)
		return;
	destroy_uv_links(c);
	ring_buffer__free(c->rb);
	nullspan__destroy(c->skel);
	free(c);
}

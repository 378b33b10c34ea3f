/* Prints the record layout of bpf/nullspan.h as JSON (sizes, field offsets, constants): tools/gen-layout.mjs
 * turns it into src/layout.generated.ts and test/layout.test.ts checks that file against a fresh run. */
#include <stddef.h>
#include <stdio.h>
#include "nullspan.h"

#define FIELD(type, field)                                                                                             \
	printf("%s\"%s.%s\": %zu", first ? "" : ",\n  ", #type, #field, offsetof(struct type, field)), first = 0
#define SIZE(type) printf("%s\"%s\": %zu", first ? "" : ",\n  ", #type, sizeof(struct type)), first = 0
#define CONST(name) CONST_AS(#name, name)
#define CONST_AS(key, value) printf("%s\"%s\": %lld", first ? "" : ",\n  ", key, (long long)(value)), first = 0

int main(void)
{
	int first = 1;
	printf("{\"sizes\": {\n  ");
	SIZE(ns_hdr);
	SIZE(ns_syscall);
	SIZE(ns_marker);
	SIZE(ns_fork);
	SIZE(ns_exec);
	SIZE(ns_exit);
	SIZE(ns_drops);
	SIZE(ns_slot);
	SIZE(ns_lost);
	SIZE(ns_thread_times);
	SIZE(ns_syscall_times);
	printf("\n}, \"offsets\": {\n  ");
	first = 1;
	FIELD(ns_hdr, size);
	FIELD(ns_hdr, kind);
	FIELD(ns_hdr, cpu);
	FIELD(ns_hdr, ts);
	FIELD(ns_hdr, tid);
	FIELD(ns_hdr, pid);
	FIELD(ns_syscall, dur);
	FIELD(ns_syscall, ret);
	FIELD(ns_syscall, args);
	FIELD(ns_syscall, nr);
	FIELD(ns_syscall, flags);
	FIELD(ns_syscall, path_len);
	FIELD(ns_syscall, path2_len);
	FIELD(ns_syscall, addr_len);
	FIELD(ns_syscall, ctx_src);
	FIELD(ns_syscall, fds);
	FIELD(ns_syscall, ctx_span);
	FIELD(ns_syscall, sleep);
	FIELD(ns_syscall, times);
	FIELD(ns_marker, fd);
	FIELD(ns_marker, len);
	FIELD(ns_marker, data_len);
	FIELD(ns_marker, flags);
	FIELD(ns_marker, times);
	FIELD(ns_fork, child_tid);
	FIELD(ns_fork, child_pid);
	FIELD(ns_fork, flags);
	FIELD(ns_exec, old_tid);
	FIELD(ns_exec, filename_len);
	FIELD(ns_exec, argv_len);
	FIELD(ns_exit, code);
	FIELD(ns_exit, group_dead);
	FIELD(ns_drops, counts);
	FIELD(ns_slot, addr);
	FIELD(ns_lost, records);
	FIELD(ns_thread_times, on_cpu);
	FIELD(ns_thread_times, runqueue);
	FIELD(ns_thread_times, blocked);
	FIELD(ns_thread_times, major_faults);
	FIELD(ns_syscall_times, on_cpu);
	FIELD(ns_syscall_times, runqueue);
	FIELD(ns_syscall_times, blocked);
	FIELD(ns_syscall_times, gap_on_cpu);
	FIELD(ns_syscall_times, gap_runqueue);
	FIELD(ns_syscall_times, gap_blocked);
	printf("\n}, \"constants\": {\n  ");
	first = 1;
	CONST(NS_KIND_SYSCALL);
	CONST(NS_KIND_MARKER);
	CONST(NS_KIND_FORK);
	CONST(NS_KIND_EXEC);
	CONST(NS_KIND_EXIT);
	CONST(NS_KIND_DROPS);
	CONST(NS_KIND_SLOT);
	CONST(NS_KIND_LOST);
	CONST(NS_DROP_SYSCALL);
	CONST(NS_DROP_MARKER);
	CONST(NS_DROP_PROCESS);
	CONST(NS_SYS_UNFINISHED);
	CONST(NS_SYS_HAS_FDS);
	CONST(NS_FORK_THREAD);
	CONST(NS_FORK_SHARES_FILES);
	CONST(NS_SNAP_MAX);
	CONST(NS_ADOPT_CGROUPS_MAX);
	CONST(NS_RECORD_ALIGN);
	CONST(NS_NR_MAX);
	CONST(NS_CTX_NONE);
	CONST(NS_CTX_SLOT);
	CONST(NS_CTX_SUBMITTER);
	CONST(NS_SLOT_MAGIC_LEN);
	CONST(NS_SLOT_LEN);
	CONST(NS_SLOT_ACK_OFF);
	CONST(NS_SLOT_SIZE);
	/* the 64-bit magic as two u32 halves: a JavaScript number holds each exactly */
	CONST_AS("NS_SLOT_MAGIC_LO", NS_SLOT_MAGIC & 0xffffffffULL);
	CONST_AS("NS_SLOT_MAGIC_HI", NS_SLOT_MAGIC >> 32);
	CONST_AS("NS_SPAN_UNKNOWN_LO", NS_SPAN_UNKNOWN & 0xffffffffULL);
	CONST_AS("NS_SPAN_UNKNOWN_HI", NS_SPAN_UNKNOWN >> 32);
	CONST_AS("NS_SPAN_UNSAMPLED_LO", NS_SPAN_UNSAMPLED & 0xffffffffULL);
	CONST_AS("NS_SPAN_UNSAMPLED_HI", NS_SPAN_UNSAMPLED >> 32);
	CONST(NS_SKIP_UNSAMPLED);
	CONST(NS_SKIP_OUTSIDE);
	CONST(NS_SYS_HAS_TIMES);
	CONST(NS_MARKER_HAS_TIMES);
	CONST(NS_SLEPT_INTERRUPTIBLE);
	CONST(NS_SLEPT_UNINTERRUPTIBLE);
	CONST(NS_WAIT_OTHER);
	CONST(NS_WAIT_FILE);
	CONST(NS_WAIT_NET);
	CONST(NS_WAIT_LOCK);
	CONST(NS_WAIT_SLEEP);
	CONST(NS_WAIT_POLL);
	CONST(NS_WAIT_PAGEFAULT);
	CONST(NS_WAIT_KINDS);
	printf("\n}}\n");
	return 0;
}

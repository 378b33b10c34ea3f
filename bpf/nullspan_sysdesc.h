/* SPDX-License-Identifier: Apache-2.0 */
/* Which arguments of which x86_64 system calls carry a path, a socket address or an output fd array.
 * Shared by the BPF program (captures them at sys_exit) and the native addon (captures them for syscalls still
 * unfinished at close). Numbers come from the system's <asm/unistd_64.h>. */
#ifndef NULLSPAN_SYSDESC_H
#define NULLSPAN_SYSDESC_H

#include <asm/unistd_64.h>
#include "nullspan.h"

#define NS_PATHS(a) NS_DESC(NS_P(a), 0, 0, 0, 0, 0)
#define NS_PATHS2(a, b) NS_DESC(NS_P(a), NS_P(b), 0, 0, 0, 0)

static const __u32 ns_sysdesc_table[NS_NR_MAX] = {
	/* paths */
	[__NR_open] = NS_PATHS(0),
	[__NR_creat] = NS_PATHS(0),
	[__NR_openat] = NS_PATHS(1),
	[__NR_openat2] = NS_PATHS(1),
	[__NR_stat] = NS_PATHS(0),
	[__NR_lstat] = NS_PATHS(0),
	[__NR_newfstatat] = NS_PATHS(1),
	[__NR_statx] = NS_PATHS(1),
	[__NR_statfs] = NS_PATHS(0),
	[__NR_access] = NS_PATHS(0),
	[__NR_faccessat] = NS_PATHS(1),
	[__NR_faccessat2] = NS_PATHS(1),
	[__NR_unlink] = NS_PATHS(0),
	[__NR_unlinkat] = NS_PATHS(1),
	[__NR_rename] = NS_PATHS2(0, 1),
	[__NR_renameat] = NS_PATHS2(1, 3),
	[__NR_renameat2] = NS_PATHS2(1, 3),
	[__NR_link] = NS_PATHS2(0, 1),
	[__NR_linkat] = NS_PATHS2(1, 3),
	[__NR_symlink] = NS_PATHS2(0, 1),
	[__NR_symlinkat] = NS_PATHS2(0, 2),
	[__NR_mkdir] = NS_PATHS(0),
	[__NR_mkdirat] = NS_PATHS(1),
	[__NR_rmdir] = NS_PATHS(0),
	[__NR_mknod] = NS_PATHS(0),
	[__NR_mknodat] = NS_PATHS(1),
	[__NR_execve] = NS_PATHS(0),
	[__NR_execveat] = NS_PATHS(1),
	[__NR_chdir] = NS_PATHS(0),
	[__NR_chroot] = NS_PATHS(0),
	[__NR_truncate] = NS_PATHS(0),
	[__NR_readlink] = NS_PATHS(0),
	[__NR_readlinkat] = NS_PATHS(1),
	[__NR_chmod] = NS_PATHS(0),
	[__NR_fchmodat] = NS_PATHS(1),
	[__NR_chown] = NS_PATHS(0),
	[__NR_lchown] = NS_PATHS(0),
	[__NR_fchownat] = NS_PATHS(1),
	[__NR_utimensat] = NS_PATHS(1),
	[__NR_inotify_add_watch] = NS_PATHS(1),
	/* socket addresses */
	[__NR_connect] = NS_DESC(0, 0, NS_ADDR_IN, 1, 2, 0),
	[__NR_bind] = NS_DESC(0, 0, NS_ADDR_IN, 1, 2, 0),
	[__NR_sendto] = NS_DESC(0, 0, NS_ADDR_IN, 4, 5, 0),
	[__NR_accept] = NS_DESC(0, 0, NS_ADDR_OUT, 1, 2, 0),
	[__NR_accept4] = NS_DESC(0, 0, NS_ADDR_OUT, 1, 2, 0),
	[__NR_recvfrom] = NS_DESC(0, 0, NS_ADDR_OUT, 4, 5, 0),
	[__NR_getpeername] = NS_DESC(0, 0, NS_ADDR_OUT, 1, 2, 0),
	[__NR_getsockname] = NS_DESC(0, 0, NS_ADDR_OUT, 1, 2, 0),
	[__NR_sendmsg] = NS_DESC(0, 0, NS_ADDR_MSGHDR, 1, 0, 0),
	[__NR_recvmsg] = NS_DESC(0, 0, NS_ADDR_MSGHDR, 1, 0, 0),
	/* fds returned through an array */
	[__NR_pipe] = NS_DESC(0, 0, 0, 0, 0, NS_P(0)),
	[__NR_pipe2] = NS_DESC(0, 0, 0, 0, 0, NS_P(0)),
	[__NR_socketpair] = NS_DESC(0, 0, 0, 0, 0, NS_P(3)),
};

#endif

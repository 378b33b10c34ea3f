/* SPDX-License-Identifier: Apache-2.0 */
/* What a traced thread blocked inside a system call waits for (enum ns_wait_kind), by x86_64 syscall number: the
 * kernel's scheduler accounting files a blocked stretch under the kind of the call in flight. Calls not listed wait
 * for "other" (children, signals, pipes' peers, io_uring...). */
#ifndef NULLSPAN_WAITKIND_H
#define NULLSPAN_WAITKIND_H

#include <asm/unistd_64.h>
#include "nullspan.h"

/* Table-only value: file or net by the inode type of the fd in the first argument (a socket is net, a regular file,
 * directory or block device is file, anything else — pipe, tty, anonymous inode — other). */
#define NS_WAIT_BY_FD 7

static const __u8 ns_wait_table[NS_NR_MAX] = {
	/* data through an fd: its inode type decides */
	[__NR_read] = NS_WAIT_BY_FD,
	[__NR_write] = NS_WAIT_BY_FD,
	[__NR_pread64] = NS_WAIT_BY_FD,
	[__NR_pwrite64] = NS_WAIT_BY_FD,
	[__NR_readv] = NS_WAIT_BY_FD,
	[__NR_writev] = NS_WAIT_BY_FD,
	[__NR_preadv] = NS_WAIT_BY_FD,
	[__NR_pwritev] = NS_WAIT_BY_FD,
	[__NR_preadv2] = NS_WAIT_BY_FD,
	[__NR_pwritev2] = NS_WAIT_BY_FD,
	[__NR_sendfile] = NS_WAIT_BY_FD,
	[__NR_splice] = NS_WAIT_BY_FD,
	/* files and the file system (incl. loading a program from disk) */
	[__NR_fsync] = NS_WAIT_FILE,
	[__NR_fdatasync] = NS_WAIT_FILE,
	[__NR_sync] = NS_WAIT_FILE,
	[__NR_syncfs] = NS_WAIT_FILE,
	[__NR_sync_file_range] = NS_WAIT_FILE,
	[__NR_msync] = NS_WAIT_FILE,
	[__NR_fallocate] = NS_WAIT_FILE,
	[__NR_truncate] = NS_WAIT_FILE,
	[__NR_ftruncate] = NS_WAIT_FILE,
	[__NR_copy_file_range] = NS_WAIT_FILE,
	[__NR_fadvise64] = NS_WAIT_FILE,
	[__NR_readahead] = NS_WAIT_FILE,
	[__NR_io_submit] = NS_WAIT_FILE,
	[__NR_io_getevents] = NS_WAIT_FILE,
	[__NR_io_pgetevents] = NS_WAIT_FILE,
	[__NR_open] = NS_WAIT_FILE,
	[__NR_openat] = NS_WAIT_FILE,
	[__NR_openat2] = NS_WAIT_FILE,
	[__NR_creat] = NS_WAIT_FILE,
	[__NR_stat] = NS_WAIT_FILE,
	[__NR_lstat] = NS_WAIT_FILE,
	[__NR_fstat] = NS_WAIT_FILE,
	[__NR_newfstatat] = NS_WAIT_FILE,
	[__NR_statx] = NS_WAIT_FILE,
	[__NR_statfs] = NS_WAIT_FILE,
	[__NR_fstatfs] = NS_WAIT_FILE,
	[__NR_access] = NS_WAIT_FILE,
	[__NR_faccessat] = NS_WAIT_FILE,
	[__NR_faccessat2] = NS_WAIT_FILE,
	[__NR_getdents] = NS_WAIT_FILE,
	[__NR_getdents64] = NS_WAIT_FILE,
	[__NR_readlink] = NS_WAIT_FILE,
	[__NR_readlinkat] = NS_WAIT_FILE,
	[__NR_unlink] = NS_WAIT_FILE,
	[__NR_unlinkat] = NS_WAIT_FILE,
	[__NR_rename] = NS_WAIT_FILE,
	[__NR_renameat] = NS_WAIT_FILE,
	[__NR_renameat2] = NS_WAIT_FILE,
	[__NR_link] = NS_WAIT_FILE,
	[__NR_linkat] = NS_WAIT_FILE,
	[__NR_symlink] = NS_WAIT_FILE,
	[__NR_symlinkat] = NS_WAIT_FILE,
	[__NR_mkdir] = NS_WAIT_FILE,
	[__NR_mkdirat] = NS_WAIT_FILE,
	[__NR_rmdir] = NS_WAIT_FILE,
	[__NR_mknod] = NS_WAIT_FILE,
	[__NR_mknodat] = NS_WAIT_FILE,
	[__NR_chmod] = NS_WAIT_FILE,
	[__NR_fchmod] = NS_WAIT_FILE,
	[__NR_fchmodat] = NS_WAIT_FILE,
	[__NR_chown] = NS_WAIT_FILE,
	[__NR_fchown] = NS_WAIT_FILE,
	[__NR_lchown] = NS_WAIT_FILE,
	[__NR_fchownat] = NS_WAIT_FILE,
	[__NR_utime] = NS_WAIT_FILE,
	[__NR_utimes] = NS_WAIT_FILE,
	[__NR_utimensat] = NS_WAIT_FILE,
	[__NR_execve] = NS_WAIT_FILE,
	[__NR_execveat] = NS_WAIT_FILE,
	/* the network */
	[__NR_connect] = NS_WAIT_NET,
	[__NR_accept] = NS_WAIT_NET,
	[__NR_accept4] = NS_WAIT_NET,
	[__NR_sendto] = NS_WAIT_NET,
	[__NR_recvfrom] = NS_WAIT_NET,
	[__NR_sendmsg] = NS_WAIT_NET,
	[__NR_recvmsg] = NS_WAIT_NET,
	[__NR_sendmmsg] = NS_WAIT_NET,
	[__NR_recvmmsg] = NS_WAIT_NET,
	[__NR_shutdown] = NS_WAIT_NET,
	/* locks */
	[__NR_futex] = NS_WAIT_LOCK,
#ifdef __NR_futex_waitv
	[__NR_futex_waitv] = NS_WAIT_LOCK,
#endif
#ifdef __NR_futex_wait
	[__NR_futex_wait] = NS_WAIT_LOCK,
#endif
	[__NR_flock] = NS_WAIT_LOCK,
	[__NR_fcntl] = NS_WAIT_LOCK, /* blocks only on F_SETLKW / F_OFD_SETLKW */
	[__NR_semop] = NS_WAIT_LOCK,
	[__NR_semtimedop] = NS_WAIT_LOCK,
	/* sleeps and timers */
	[__NR_nanosleep] = NS_WAIT_SLEEP,
	[__NR_clock_nanosleep] = NS_WAIT_SLEEP,
	/* readiness waits */
	[__NR_poll] = NS_WAIT_POLL,
	[__NR_ppoll] = NS_WAIT_POLL,
	[__NR_select] = NS_WAIT_POLL,
	[__NR_pselect6] = NS_WAIT_POLL,
	[__NR_epoll_wait] = NS_WAIT_POLL,
	[__NR_epoll_pwait] = NS_WAIT_POLL,
#ifdef __NR_epoll_pwait2
	[__NR_epoll_pwait2] = NS_WAIT_POLL,
#endif
};

#endif

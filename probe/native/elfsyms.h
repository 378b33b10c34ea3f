/* Function symbols → file offsets in an ELF executable (libelf), for attaching uprobes by offset: one pass over the
 * symbol tables per binary instead of one per probe (libbpf's func_name lookup re-reads a 100 MB node each time). */
#ifndef NULLSPAN_ELFSYMS_H
#define NULLSPAN_ELFSYMS_H

#include <stdint.h>

/* offsets[i] = file offset of function names[i], 0 when not found. Returns how many were found, -1 when the file
 * cannot be read as ELF. */
int ns_elf_func_offsets(const char *path, const char *const *names, int n, uint64_t *offsets);

#endif

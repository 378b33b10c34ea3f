/* See elfsyms.h. */
#include "elfsyms.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

int ns_elf_func_offsets(const char *path, const char *const *names, int n, uint64_t *offsets)
{
	for (int i = 0; i < n; i++)
		offsets[i] = 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	int found = 0;
	if (!elf)
		goto out;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn)) && found < n) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize)
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		size_t count = sh.sh_size / sh.sh_entsize;
		for (size_t k = 0; k < count && found < n; k++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, k, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			for (int i = 0; i < n; i++) {
				if (offsets[i] || strcmp(name, names[i]))
					continue;
				/* file offset = address - section address + section file offset (as libbpf computes it) */
				GElf_Shdr text;
				Elf_Scn *ts = elf_getscn(elf, sym.st_shndx);
				if (ts && gelf_getshdr(ts, &text)) {
					offsets[i] = sym.st_value - text.sh_addr + text.sh_offset;
					found++;
				}
			}
		}
	}
	elf_end(elf);
out:
	close(fd);
	return found;
}

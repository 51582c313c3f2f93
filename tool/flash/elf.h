/* ELF, for debuggers and loaders that take nothing else (QEMU's generic
 * loader, probe tools), and the facts the tool reads from a firmware ELF:
 * where it loads, and the symbols that say where its ROMFS partition is.
 * Reading goes through libelf; writing is a few headers, streamed. */
#ifndef ROMFS_FLASH_ELF_H
#define ROMFS_FLASH_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/formats.h"
#include "flash/segment.h"

/* A minimal executable (ET_EXEC, entry 0) of o->elf_machine, ELF32 or
 * ELF64 and little- or big-endian by the options (EM_ARM gets the EABI
 * version 5 flags): the ELF header, one PT_LOAD program header per map
 * segment (p_vaddr = p_paddr = its address, p_filesz = p_memsz = its size,
 * PF_R, p_align the largest power of two up to 4096 that divides the
 * address, the bytes at a file offset of the same alignment), then the
 * bytes, then a section header table: a null section, one SHT_PROGBITS
 * SHF_ALLOC section per segment (".romfs", then ".romfs.1", ".romfs.2"...)
 * over the same bytes, and .shstrtab. Tools that load by segment and
 * tools that load by section see the same bytes at the same addresses.
 * An ELF32 map must lie below 4 GiB. */
int flash_write_elf(int fd, const char *what, const flash_map *m, const flash_opts *o);

typedef struct {
    size_t index; /* in the program header table */
    uint64_t paddr, vaddr, memsz, filesz, offset;
    uint32_t flags; /* PF_R, PF_W, PF_X */
} elf_load;

typedef struct {
    char *name;
    uint64_t value, size;
    bool defined;             /* st_shndx != SHN_UNDEF */
    bool absolute;            /* st_shndx == SHN_ABS: a number, not an address in a section */
    unsigned char bind, type; /* STB_*, STT_* */
} elf_symbol;

/* At most this many symbols are kept, and names of at most
 * ELF_NAME_MAX bytes: enough for any firmware, and a bound on what a
 * hostile file can make the reader hold. */
enum { ELF_MAX_SYMBOLS = 4096, ELF_NAME_MAX = 255 };

typedef struct {
    uint16_t machine; /* e_machine */
    uint16_t type;    /* e_type */
    bool elf64, big_endian;
    elf_load *loads; /* every PT_LOAD, in table order */
    size_t n_loads;
    /* Every symbol whose name contains "romfs" in any case, from .symtab
     * and .dynsym, in table order (the first ELF_MAX_SYMBOLS). */
    elf_symbol *symbols;
    size_t n_symbols, symbols_omitted;
} elf_info;

/* The facts into `info` (may be NULL) and, unless `out` is NULL, the
 * bytes every PT_LOAD holds in the file (p_filesz of them, at p_paddr,
 * where a loader puts them) into `out`; two segments placing bytes at one
 * address are an error naming both program headers. */
int flash_read_elf(const char *what, const uint8_t *p, size_t n, flash_map *out, elf_info *info);

/* A symbol by exact name: a defined global or weak one if there is one,
 * else the first defined, else NULL. Only names the reader kept (those
 * with "romfs" in them) can be found. */
const elf_symbol *elf_info_symbol(const elf_info *info, const char *name);
/* "ARM", "AArch64", "RISC-V", "x86-64", "Xtensa"..., or NULL. */
const char *elf_machine_name(uint16_t machine);
void elf_info_free(elf_info *info);

#endif

#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flash/elf.h"
#include "flash/pieces.h"
#include "util/alloc.h"
#include "util/diag.h"

/* elf_errmsg(-1) is NULL when libelf saw nothing wrong itself. */
static const char *libelf_error(void) {
    const char *msg = elf_errmsg(-1);
    return msg ? msg : "no reason given";
}

/* Whether `name` (len bytes) holds "romfs" in any case. */
static bool mentions_romfs(const char *name, size_t len) {
    for (size_t i = 0; i + 5 <= len; i++) {
        if (strncasecmp(name + i, "romfs", 5) == 0) {
            return true;
        }
    }
    return false;
}

static void keep_symbol(elf_info *info, size_t *cap, const char *name, size_t len,
                        const GElf_Sym *sym) {
    if (info->n_symbols == ELF_MAX_SYMBOLS) {
        info->symbols_omitted++;
        return;
    }
    VEC_RESERVE(info->symbols, info->n_symbols, *cap);
    info->symbols[info->n_symbols++] = (elf_symbol){
        .name = xstrndup(name, len),
        .value = sym->st_value,
        .size = sym->st_size,
        .defined = sym->st_shndx != SHN_UNDEF,
        .absolute = sym->st_shndx == SHN_ABS,
        .bind = GELF_ST_BIND(sym->st_info),
        .type = GELF_ST_TYPE(sym->st_info),
    };
}

/* The symbols of every symbol table. Names are read from the string
 * table's bytes with a bounded search rather than elf_strptr, whose
 * check of an unterminated table scans the rest of it for each symbol. */
static int read_symbols(const char *what, Elf *elf, size_t file_size, elf_info *info) {
    size_t cap = 0;
    uint64_t table_bytes = 0;
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn != NULL; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL) {
            diag_error("%s: a bad section header: %s", what, libelf_error());
            return -1;
        }
        if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) {
            continue;
        }
        /* Tables that overlap could make libelf convert the same bytes
         * over and over; real ones never add up to more than the file. */
        table_bytes += sh.sh_size;
        if (sh.sh_size > file_size || table_bytes > file_size) {
            diag_error("%s: its symbol tables are larger than the file", what);
            return -1;
        }
        Elf_Data *syms = elf_getdata(scn, NULL);
        Elf_Scn *str_scn = elf_getscn(elf, sh.sh_link);
        Elf_Data *strs = str_scn ? elf_getdata(str_scn, NULL) : NULL;
        if (syms == NULL || strs == NULL || strs->d_buf == NULL) {
            diag_error("%s: unreadable symbol table (section %zu): %s", what, elf_ndxscn(scn),
                       libelf_error());
            return -1;
        }
        size_t entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
        size_t count = entsize ? syms->d_size / entsize : 0;
        count = count < INT_MAX ? count : INT_MAX;
        for (size_t i = 1; i < count; i++) {
            GElf_Sym sym;
            if (gelf_getsym(syms, (int)i, &sym) == NULL || sym.st_name >= strs->d_size) {
                continue;
            }
            const char *name = (const char *)strs->d_buf + sym.st_name;
            size_t room = strs->d_size - sym.st_name;
            size_t look = room < ELF_NAME_MAX + 1 ? room : ELF_NAME_MAX + 1;
            const char *nul = memchr(name, '\0', look);
            if (nul != NULL && mentions_romfs(name, (size_t)(nul - name))) {
                keep_symbol(info, &cap, name, (size_t)(nul - name), &sym);
            }
        }
    }
    return 0;
}

static int read_loads(const char *what, Elf *elf, const uint8_t *bytes, size_t n, flash_pieces *ps,
                      elf_info *info) {
    size_t phnum;
    if (elf_getphdrnum(elf, &phnum) != 0) {
        diag_error("%s: a bad program header table: %s", what, libelf_error());
        return -1;
    }
    size_t cap = 0;
    uint64_t file_bytes = 0;
    phnum = phnum < INT_MAX ? phnum : INT_MAX;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) == NULL) {
            diag_error("%s: program header %zu: %s", what, i, libelf_error());
            return -1;
        }
        if (ph.p_type != PT_LOAD) {
            continue;
        }
        if (ph.p_filesz > ph.p_memsz) {
            diag_error("%s: program header %zu holds %" PRIu64 " bytes in the file but %" PRIu64
                       " in memory",
                       what, i, ph.p_filesz, ph.p_memsz);
            return -1;
        }
        if (ph.p_offset > n || ph.p_filesz > n - ph.p_offset) {
            diag_error("%s: program header %zu: %" PRIu64 " bytes at offset 0x%" PRIx64
                       " run past the end of the file (%zu bytes)",
                       what, i, ph.p_filesz, ph.p_offset, n);
            return -1;
        }
        if (ph.p_paddr + ph.p_memsz < ph.p_paddr ||
            (info->elf64 ? false : ph.p_paddr + ph.p_memsz > ((uint64_t)1 << 32))) {
            diag_error("%s: program header %zu: %" PRIu64 " bytes at 0x%" PRIx64
                       " run past the end of the address space",
                       what, i, ph.p_memsz, ph.p_paddr);
            return -1;
        }
        /* Segments that share file bytes would have the map copy them
         * once each, as often as a hostile header table repeats them;
         * linkers never make such segments. */
        file_bytes += ph.p_filesz;
        if (file_bytes > n) {
            diag_error("%s: program header %zu: the loadable segments hold more bytes than the "
                       "file (they share file bytes)",
                       what, i);
            return -1;
        }
        VEC_RESERVE(info->loads, info->n_loads, cap);
        info->loads[info->n_loads++] = (elf_load){
            .index = i,
            .paddr = ph.p_paddr,
            .vaddr = ph.p_vaddr,
            .memsz = ph.p_memsz,
            .filesz = ph.p_filesz,
            .offset = ph.p_offset,
            .flags = ph.p_flags,
        };
        if (ps != NULL) {
            pieces_add(ps, ph.p_paddr, ph.p_filesz, bytes + ph.p_offset, i);
        }
    }
    return 0;
}

/* libelf's own checks of the header tables say "invalid data"; these say
 * which table and where. */
static int check_tables(const char *what, Elf *elf, const GElf_Ehdr *eh, size_t n) {
    /* The header's counts, not libelf's, which it cuts down to what the
     * file holds; only the escapes to section 0 go through libelf. */
    size_t phnum = eh->e_phnum, shnum = eh->e_shnum;
    if ((phnum == PN_XNUM && elf_getphdrnum(elf, &phnum) != 0) ||
        (shnum == 0 && eh->e_shoff != 0 && elf_getshdrnum(elf, &shnum) != 0)) {
        diag_error("%s: a bad ELF header: %s", what, libelf_error());
        return -1;
    }
    const struct {
        const char *name;
        uint64_t at, count, size;
    } tables[2] = {{"program header", eh->e_phoff, phnum, eh->e_phentsize},
                   {"section header", eh->e_shoff, shnum, eh->e_shentsize}};
    for (int i = 0; i < 2; i++) {
        if (tables[i].count == 0) {
            continue;
        }
        if (tables[i].at > n || tables[i].size == 0 ||
            tables[i].count > (n - tables[i].at) / tables[i].size) {
            diag_error("%s: the %s table (%" PRIu64 " entries at offset 0x%" PRIx64
                       ") runs past the end of the file (%zu bytes)",
                       what, tables[i].name, tables[i].count, tables[i].at, n);
            return -1;
        }
    }
    return 0;
}

int flash_read_elf(const char *what, const uint8_t *p, size_t n, flash_map *out, elf_info *info) {
    elf_info facts = {0};
    if (elf_version(EV_CURRENT) == EV_NONE) {
        diag_error("%s: libelf is out of date: %s", what, libelf_error());
        return -1;
    }
    /* libelf takes a mutable image; the caller's bytes stay untouched. */
    char *copy = xmalloc(n ? n : 1);
    memcpy(copy, p, n);
    Elf *elf = NULL;
    flash_pieces ps = {0};
    int rc = -1;
    GElf_Ehdr eh;
    if (n < SELFMAG || memcmp(p, ELFMAG, SELFMAG) != 0) {
        diag_error("%s: not an ELF file (no \\x7fELF at offset 0)", what);
    } else if (n < EI_NIDENT ||
               n < (p[EI_CLASS] == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr))) {
        diag_error("%s: the file ends inside its ELF header (%zu bytes)", what, n);
    } else if ((elf = elf_memory(copy, n)) == NULL || elf_kind(elf) != ELF_K_ELF) {
        diag_error("%s: a bad ELF header (class %u, byte order %u): %s", what,
                   n > EI_DATA ? p[EI_CLASS] : 0, n > EI_DATA ? p[EI_DATA] : 0,
                   elf ? "not one libelf knows" : libelf_error());
    } else if (gelf_getehdr(elf, &eh) == NULL) {
        diag_error("%s: a bad ELF header: %s", what, libelf_error());
    } else if (check_tables(what, elf, &eh, n) == 0) {
        facts.machine = eh.e_machine;
        facts.type = eh.e_type;
        facts.elf64 = gelf_getclass(elf) == ELFCLASS64;
        facts.big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
        if (read_loads(what, elf, (const uint8_t *)copy, n, out ? &ps : NULL, &facts) == 0 &&
            read_symbols(what, elf, n, &facts) == 0) {
            rc = out ? pieces_to_map(what, "program header", &ps, out) : 0;
        }
    }
    pieces_free(&ps);
    elf_end(elf);
    free(copy);
    if (rc == 0 && info != NULL) {
        *info = facts;
    } else {
        elf_info_free(&facts);
    }
    return rc;
}

const elf_symbol *elf_info_symbol(const elf_info *info, const char *name) {
    const elf_symbol *first = NULL;
    for (size_t i = 0; i < info->n_symbols; i++) {
        const elf_symbol *s = &info->symbols[i];
        if (!s->defined || strcmp(s->name, name) != 0) {
            continue;
        }
        if (s->bind == STB_GLOBAL || s->bind == STB_WEAK) {
            return s;
        }
        first = first ? first : s;
    }
    return first;
}

const char *elf_machine_name(uint16_t machine) {
    switch (machine) {
    case EM_ARM:
        return "ARM";
    case EM_AARCH64:
        return "AArch64";
    case EM_RISCV:
        return "RISC-V";
    case EM_X86_64:
        return "x86-64";
    case EM_386:
        return "i386";
    case EM_XTENSA:
        return "Xtensa";
    case EM_MIPS:
        return "MIPS";
    case EM_PPC:
        return "PowerPC";
    case EM_PPC64:
        return "PowerPC64";
    default:
        return NULL;
    }
}

void elf_info_free(elf_info *info) {
    for (size_t i = 0; i < info->n_symbols; i++) {
        free(info->symbols[i].name);
    }
    free(info->symbols);
    free(info->loads);
    *info = (elf_info){0};
}

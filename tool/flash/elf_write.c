#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash/elf.h"
#include "flash/out.h"
#include "util/alloc.h"
#include "util/diag.h"

/* Header fields in the file's byte order and class. */
typedef struct {
    bool big, wide;
    uint8_t *p;
    size_t len;
} enc;

static void put(enc *e, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; i++) {
        size_t shift = 8 * (e->big ? width - 1 - i : i);
        e->p[e->len++] = (uint8_t)(v >> shift);
    }
}

static void u16(enc *e, uint64_t v) {
    put(e, v, 2);
}

static void u32(enc *e, uint64_t v) {
    put(e, v, 4);
}

/* An address, offset or size: Elf32_Addr or Elf64_Addr. */
static void word(enc *e, uint64_t v) {
    put(e, v, e->wide ? 8 : 4);
}

static uint64_t align_of(uint64_t address) {
    uint64_t a = 1;
    while (a < 4096 && address % (a * 2) == 0) {
        a *= 2;
    }
    return a;
}

static uint64_t round_up(uint64_t v, uint64_t a) {
    return (v + a - 1) / a * a;
}

/* ".romfs", ".romfs.1", ...: a segment's section name. */
static int section_name(char *out, size_t cap, size_t i) {
    return i == 0 ? snprintf(out, cap, ".romfs") : snprintf(out, cap, ".romfs.%zu", i);
}

int flash_write_elf(int fd, const char *what, const flash_map *m, const flash_opts *o) {
    bool wide = o->elf64;
    size_t ehsize = wide ? 64 : 52, phentsize = wide ? 56 : 32, shentsize = wide ? 64 : 40;
    uint64_t limit = wide ? UINT64_MAX : UINT32_MAX;
    if (m->n > 0 && flash_map_end(m) - 1 > limit) {
        const flash_segment *last = &m->v[m->n - 1];
        diag_error("%s: %s lies beyond the 4 GiB an ELF32 file addresses (write ELF64)", what,
                   flash_range(last->address, last->size));
        return -1;
    }
    if (m->n + 2 >= SHN_LORESERVE) {
        diag_error("%s: %zu segments are more than one ELF file's section table holds", what, m->n);
        return -1;
    }

    /* Where everything goes, from the sizes alone: the headers come first. */
    uint64_t *offsets = xmalloc((m->n ? m->n : 1) * sizeof *offsets);
    uint64_t at = ehsize + m->n * phentsize;
    size_t strtab_size = 1 + sizeof ".shstrtab";
    for (size_t i = 0; i < m->n; i++) {
        offsets[i] = round_up(at, align_of(m->v[i].address));
        at = offsets[i] + m->v[i].size;
        char name[32];
        strtab_size += (size_t)section_name(name, sizeof name, i) + 1;
    }
    uint64_t strtab_at = at;
    uint64_t shoff = round_up(strtab_at + strtab_size, wide ? 8 : 4);
    uint64_t file_end = shoff + (m->n + 2) * shentsize;
    if (file_end > limit) {
        diag_error("%s: %" PRIu64 " bytes are too many for an ELF32 file (write ELF64)", what,
                   file_end);
        free(offsets);
        return -1;
    }

    flash_out *out = out_open(fd, what);
    uint8_t buf[64];
    enc e = {.big = o->elf_big_endian, .wide = wide, .p = buf};
    memcpy(buf, ELFMAG, SELFMAG);
    buf[EI_CLASS] = wide ? ELFCLASS64 : ELFCLASS32;
    buf[EI_DATA] = o->elf_big_endian ? ELFDATA2MSB : ELFDATA2LSB;
    buf[EI_VERSION] = EV_CURRENT;
    memset(buf + EI_OSABI, 0, EI_NIDENT - EI_OSABI);
    e.len = EI_NIDENT;
    u16(&e, ET_EXEC);
    u16(&e, o->elf_machine);
    u32(&e, EV_CURRENT);
    word(&e, 0); /* e_entry: an image is not run */
    word(&e, m->n ? ehsize : 0);
    word(&e, shoff);
    u32(&e, o->elf_machine == EM_ARM ? EF_ARM_EABI_VER5 : 0);
    u16(&e, ehsize);
    u16(&e, phentsize);
    u16(&e, m->n);
    u16(&e, shentsize);
    u16(&e, m->n + 2);
    u16(&e, m->n + 1); /* .shstrtab comes last */
    out_put(out, buf, e.len);

    for (size_t i = 0; i < m->n; i++) {
        const flash_segment *s = &m->v[i];
        e.len = 0;
        u32(&e, PT_LOAD);
        if (wide) {
            u32(&e, PF_R);
        }
        word(&e, offsets[i]);
        word(&e, s->address);
        word(&e, s->address);
        word(&e, s->size);
        word(&e, s->size);
        if (!wide) {
            u32(&e, PF_R);
        }
        word(&e, align_of(s->address));
        out_put(out, buf, e.len);
    }

    for (size_t i = 0; i < m->n && !out->failed; i++) {
        const flash_segment *s = &m->v[i];
        out_fill(out, 0, offsets[i] - out->written);
        out_put_segment(out, what, s);
    }

    /* .shstrtab: "", the segments' names, then its own. */
    out_put(out, "", 1);
    uint32_t *name_at = xmalloc((m->n ? m->n : 1) * sizeof *name_at);
    uint32_t pos = 1;
    for (size_t i = 0; i < m->n; i++) {
        char name[32];
        int len = section_name(name, sizeof name, i);
        name_at[i] = pos;
        out_put(out, name, (size_t)len + 1);
        pos += (uint32_t)len + 1;
    }
    uint32_t strtab_name = pos;
    out_put(out, ".shstrtab", sizeof ".shstrtab");
    out_fill(out, 0, shoff - out->written);

    /* Section headers: null, one per segment, .shstrtab. */
    memset(buf, 0, shentsize);
    out_put(out, buf, shentsize);
    for (size_t i = 0; i <= m->n; i++) {
        bool strtab = i == m->n;
        e.len = 0;
        u32(&e, strtab ? strtab_name : name_at[i]);
        u32(&e, strtab ? SHT_STRTAB : SHT_PROGBITS);
        word(&e, strtab ? 0 : SHF_ALLOC);
        word(&e, strtab ? 0 : m->v[i].address);
        word(&e, strtab ? strtab_at : offsets[i]);
        word(&e, strtab ? strtab_size : m->v[i].size);
        u32(&e, 0); /* sh_link */
        u32(&e, 0); /* sh_info */
        word(&e, strtab ? 1 : align_of(m->v[i].address));
        word(&e, 0); /* sh_entsize */
        out_put(out, buf, e.len);
    }
    free(name_at);
    free(offsets);
    return out_close(out);
}

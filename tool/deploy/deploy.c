#include "deploy/deploy.h"

#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/delta.h"
#include "deploy/partition.h"
#include "flash/elf.h"
#include "flash/uf2.h"
#include "format/writer.h"
#include "inspect/image_file.h"
#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/io.h"
#include "util/number.h"

/* The firmware --merge takes is a program, not debug information. */
#define MERGE_READ_LIMIT ((size_t)1 << 30)

/* A stretch of the image (0xff past its end) as a map segment. */
typedef struct {
    const deploy_image *img;
    uint64_t offset;
} span;

static int span_read(void *ctx, uint64_t offset, void *buf, size_t n) {
    const span *s = ctx;
    return deploy_image_read(s->img, s->offset + offset, buf, n);
}

/* Everything one flash file is made of, freed together. */
typedef struct {
    partition p;
    flash_map m;
    span *spans;
    flash_map fw;    /* --merge's firmware */
    char *fw_buffer; /* its file, when the map borrows it (a bin) */
    image_file old;  /* --base */
    bool have_old;
    delta d;
    uint64_t placed; /* bytes of the image's stretches */
    uint64_t reach;  /* the end of the last, from the partition's start */
} plan;

static void plan_free(plan *pl) {
    partition_free(&pl->p);
    flash_map_free(&pl->m);
    free(pl->spans);
    flash_map_free(&pl->fw);
    free(pl->fw_buffer);
    if (pl->have_old) {
        image_file_close(&pl->old);
    }
    delta_free(&pl->d);
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
    return a < b ? a : b;
}

static int check_fit(const deploy_image *img, const partition *p) {
    if (p->has_size && img->size > p->size) {
        diag_error("%s (%" PRIu64 " bytes) does not fit %s at 0x%08" PRIx64 " (%" PRIu64
                   " bytes): %" PRIu64 " bytes over",
                   shown(img->what), img->size, p->name, p->address, p->size, img->size - p->size);
        return -1;
    }
    return 0;
}

static int check_alignment(const deploy_image *img, const partition *p) {
    if (img->max_align > 1 && p->address % img->max_align != 0) {
        diag_error("%s needs a partition address that is a multiple of %u (its files' largest "
                   "alignment, by the %s); %s at 0x%08" PRIx64 " is not",
                   shown(img->what), img->max_align, img->rules, p->name, p->address);
        return -1;
    }
    return 0;
}

/* Whether the map holds a ROMFS image's magic at `address`. */
static bool image_at(const flash_map *m, uint64_t address) {
    for (size_t i = 0; i < m->n; i++) {
        const flash_segment *s = &m->v[i];
        if (address >= s->address && address - s->address < s->size &&
            s->size - (address - s->address) >= IMAGE_MAGIC_LEN) {
            return memcmp(s->bytes + (address - s->address), image_magic, IMAGE_MAGIC_LEN) == 0;
        }
    }
    return false;
}

static const char *load_flags(uint32_t flags) {
    static char text[4];
    text[0] = flags & PF_R ? 'R' : '-';
    text[1] = flags & PF_W ? 'W' : '-';
    text[2] = flags & PF_X ? 'X' : '-';
    text[3] = '\0';
    return text;
}

/* No byte the firmware loads lies in the partition, but for a ROMFS image
 * of its own at the partition's start. */
static int check_firmware(const partition *p, const char *out) {
    if (!p->has_firmware || !p->has_size || p->size == 0) {
        return 0;
    }
    uint64_t lo = p->address, hi = p->address + p->size;
    for (size_t i = 0; i < p->fw.n_loads; i++) {
        const elf_load *l = &p->fw.loads[i];
        uint64_t from = l->paddr > lo ? l->paddr : lo;
        uint64_t to = min_u64(l->paddr + l->filesz, hi);
        if (l->filesz == 0 || from >= to) {
            continue;
        }
        if (from == lo && image_at(&p->fw_bytes, lo)) {
            diag_info("%s: its loadable segment %zu holds a ROMFS image at 0x%08" PRIx64
                      " (the firmware embeds one); %s holds the image to write over it",
                      shown(p->firmware), l->index, lo, shown(out));
            continue;
        }
        diag_error("%s (%s) overlaps the firmware's loadable segment %zu (%s, %s) at %s", p->name,
                   flash_range(lo, p->size), l->index, flash_range(l->paddr, l->filesz),
                   load_flags(l->flags), flash_range(from, to - from));
        return -1;
    }
    return 0;
}

/* --merge FW: a .hex, .elf, .uf2 or .dfu by its content, or FILE@ADDRESS
 * for raw bytes. */
static int load_merge(const char *arg, plan *pl) {
    const char *at = strrchr(arg, '@'), *rest;
    uint64_t address = 0;
    bool raw = at != NULL && parse_uint(at + 1, &address, &rest) && *rest == '\0';
    char *path = raw ? xstrndup(arg, (size_t)(at - arg)) : xstrdup(arg);
    char *data;
    size_t n;
    int rc = read_input_file(path, "firmware", MERGE_READ_LIMIT, &data, &n);
    if (rc == 0) {
        flash_format f = raw ? FLASH_BIN : flash_detect((const uint8_t *)data, n);
        if (f == FLASH_UNKNOWN || f == FLASH_ROMFS) {
            diag_error("%s: not an Intel HEX, ELF, UF2 or DfuSe file; give raw bytes with "
                       "their address, as %s@0x08000000",
                       shown(path), shown(path));
            rc = -1;
        } else {
            rc = flash_read(f, path, (const uint8_t *)data, n, address, &pl->fw);
        }
        if (f == FLASH_BIN) {
            pl->fw_buffer = data; /* the map borrows it */
        } else {
            free(data);
        }
    }
    free(path);
    return rc;
}

/* No byte of the firmware lies where the image goes: the partition, or
 * the image's bytes when the partition's size is not known. */
static int check_merge(const plan *pl, const char *fw) {
    const partition *p = &pl->p;
    uint64_t lo = p->address, hi = lo + (p->has_size ? p->size : pl->placed);
    for (size_t i = 0; i < pl->fw.n; i++) {
        const flash_segment *s = &pl->fw.v[i];
        uint64_t from = s->address > lo ? s->address : lo;
        uint64_t to = min_u64(s->address + s->size, hi);
        if (from < to) {
            diag_error("%s: the firmware has bytes at %s, in %s (%s), where the image goes",
                       shown(fw), flash_range(from, to - from), p->name, flash_range(lo, hi - lo));
            return -1;
        }
    }
    return 0;
}

/* --base OLD: the erase blocks to write, as stretches of the image. */
static int plan_delta(const deploy_request *r, const deploy_image *img, plan *pl) {
    const partition *p = &pl->p;
    if (image_file_open_flash(&pl->old, r->base) != 0) {
        return -1;
    }
    pl->have_old = true;
    if (pl->old.format != FLASH_ROMFS && pl->old.address != p->address) {
        diag_error("%s: its image sits at 0x%08" PRIx64 ", but %s is at 0x%08" PRIx64
                   ": a delta against it would write the wrong blocks",
                   shown(r->base), pl->old.address, p->name, p->address);
        return -1;
    }
    if (p->address % p->erase_block != 0) {
        diag_error("%s at 0x%08" PRIx64 " does not start on an erase block boundary (%" PRIu64
                   " bytes): a delta's blocks would not be the flash's",
                   p->name, p->address, p->erase_block);
        return -1;
    }
    uint64_t limit = p->has_size ? p->size : UINT64_MAX;
    if (delta_compute(img, pl->old.bytes, pl->old.len, p->erase_block, limit, &pl->d) != 0) {
        return -1;
    }
    pl->spans = xcalloc(pl->d.n ? pl->d.n : 1, sizeof *pl->spans);
    for (size_t i = 0; i < pl->d.n; i++) {
        pl->spans[i] = (span){img, pl->d.v[i].offset};
        flash_map_add_reader(&pl->m, p->address + pl->d.v[i].offset, pl->d.v[i].length, span_read,
                             &pl->spans[i]);
        pl->placed += pl->d.v[i].length;
        pl->reach = pl->d.v[i].offset + pl->d.v[i].length;
    }
    return 0;
}

/* The whole image, with --pad up to the end of its last erase block (but
 * not past the partition's end). */
static void plan_whole(const deploy_request *r, const deploy_image *img, plan *pl) {
    const partition *p = &pl->p;
    uint64_t length = img->size;
    if (r->pad && length > 0) {
        uint64_t end = p->address + length, eb = p->erase_block;
        uint64_t padded = end % eb ? end + (eb - end % eb) : end;
        length = padded - p->address;
        if (p->has_size) {
            length = min_u64(length, p->size);
        }
    }
    pl->spans = xcalloc(1, sizeof *pl->spans);
    pl->spans[0] = (span){img, 0};
    flash_map_add_reader(&pl->m, p->address, length, span_read, &pl->spans[0]);
    pl->placed = pl->reach = length;
}

/* A UF2 file writes whole 256-byte pages, 0xff where the map has no
 * byte: a page that the image's bytes share with what lies outside the
 * partition would erase those. So the partition starts a page, the image's
 * last page ends inside the partition, and a delta's blocks are whole
 * pages. */
static int check_uf2_pages(const plan *pl) {
    const partition *p = &pl->p;
    uint64_t page = UF2_PAYLOAD;
    if (p->address % page != 0) {
        diag_error("%s at 0x%08" PRIx64 " does not start a 256-byte page, and a UF2 file writes "
                   "whole pages: the bytes before it in its first page would be erased",
                   p->name, p->address);
        return -1;
    }
    uint64_t end = pl->reach % page ? pl->reach + (page - pl->reach % page) : pl->reach;
    if (p->has_size && end > p->size) {
        diag_error("%s (%" PRIu64 " bytes) ends inside a 256-byte page, and a UF2 file writes "
                   "whole pages: the image's last page would erase the %" PRIu64
                   " bytes after the partition",
                   p->name, p->size, end - p->size);
        return -1;
    }
    if (pl->have_old && p->erase_block < page) {
        diag_error("an erase block of %" PRIu64 " bytes is smaller than the 256-byte pages a UF2 "
                   "file writes: give --erase-block 256 or more",
                   p->erase_block);
        return -1;
    }
    return 0;
}

static int write_file(const char *out, flash_format f, const flash_map *m, const flash_opts *o,
                      bool *changed) {
    *changed = true;
    if (!strcmp(out, "-")) {
        return flash_write(f, STDOUT_FILENO, "<stdout>", m, o);
    }
    atomic_file af;
    if (atomic_open(&af, out) != 0) {
        return -1;
    }
    if (flash_write(f, af.fd, out, m, o) != 0) {
        atomic_abort(&af);
        return -1;
    }
    return atomic_commit_if_changed(&af, changed);
}

/* Identical images: no file, rather than one that writes nothing; an old
 * delta at that path goes, so that it cannot be flashed by mistake. */
static void nothing_to_write(const deploy_request *r, const plan *pl, const char *out) {
    struct stat st;
    bool is_stdout = !strcmp(out, "-");
    bool removed = !is_stdout && lstat(out, &st) == 0 && S_ISREG(st.st_mode) && unlink(out) == 0;
    diag_warn("%s: 0 of %" PRIu64 " erase blocks (%" PRIu64 " bytes each) changed against %s: "
              "nothing to write, so no file%s",
              is_stdout ? "<stdout>" : shown(out), pl->d.blocks, pl->p.erase_block, shown(r->base),
              removed ? " (the old one removed)" : "");
}

static void summarize(const deploy_request *r, const deploy_image *img, const plan *pl,
                      const char *out, bool changed) {
    const partition *p = &pl->p;
    const char *name = !strcmp(out, "-") ? "<stdout>" : shown(out);
    const char *same = changed ? "" : "; unchanged";
    if (r->base != NULL) {
        diag_info("%s: %s against %s: %" PRIu64 " of %" PRIu64 " erase blocks (%" PRIu64
                  " bytes each) changed: %" PRIu64 " bytes to write%s",
                  name, shown(img->what), shown(r->base), pl->d.changed, pl->d.blocks,
                  p->erase_block, pl->d.bytes, same);
        return;
    }
    char room[96] = "", pad[64] = "", fw[64] = "";
    if (p->has_size) {
        snprintf(room, sizeof room, " (%" PRIu64 " bytes, %" PRIu64 " free)", p->size,
                 p->size - img->size);
    }
    if (pl->placed != img->size) {
        snprintf(pad, sizeof pad, ", padded with 0xff to %" PRIu64 " bytes", pl->placed);
    }
    if (r->merge != NULL) {
        snprintf(fw, sizeof fw, ", with %" PRIu64 " bytes of firmware", flash_map_bytes(&pl->fw));
    }
    diag_info("%s: %s (%" PRIu64 " bytes) at 0x%08" PRIx64 " in %s%s%s%s%s", name, shown(img->what),
              img->size, p->address, p->name, room, pad, fw, same);
}

int deploy_write(const deploy_request *r, const deploy_image *img, const char *out,
                 flash_format f) {
    plan pl;
    memset(&pl, 0, sizeof pl);
    int rc = -1;
    if (r->where == WHERE_NONE) {
        diag_error("%s: no partition to write the image to", shown(out));
        return -1;
    }
    if (partition_resolve(r, &pl.p) != 0 || check_fit(img, &pl.p) != 0 ||
        check_alignment(img, &pl.p) != 0 || check_firmware(&pl.p, out) != 0) {
        goto done;
    }
    if (r->base != NULL) {
        if (plan_delta(r, img, &pl) != 0) {
            goto done;
        }
        if (pl.d.changed == 0) {
            nothing_to_write(r, &pl, out);
            rc = 0;
            goto done;
        }
    } else {
        plan_whole(r, img, &pl);
    }
    if (r->merge != NULL) {
        if (load_merge(r->merge, &pl) != 0 || check_merge(&pl, r->merge) != 0) {
            goto done;
        }
        for (size_t i = 0; i < pl.fw.n; i++) {
            flash_map_add(&pl.m, pl.fw.v[i].address, pl.fw.v[i].size, pl.fw.v[i].bytes);
        }
    }
    if (f == FLASH_UF2 && check_uf2_pages(&pl) != 0) {
        goto done;
    }
    flash_opts o = r->opts;
    if (pl.p.has_firmware) { /* an ELF for the firmware's machine */
        o.elf_machine = pl.p.fw.machine;
        o.elf64 = pl.p.fw.elf64;
        o.elf_big_endian = pl.p.fw.big_endian;
    }
    bool changed;
    if (flash_map_check(shown(out), &pl.m) != 0 || write_file(out, f, &pl.m, &o, &changed) != 0) {
        goto done;
    }
    summarize(r, img, &pl, out, changed);
    rc = 0;
done:
    plan_free(&pl);
    return rc;
}

int deploy_check_partition(const deploy_request *r) {
    partition p;
    int rc = partition_resolve(r, &p);
    partition_free(&p);
    return rc;
}

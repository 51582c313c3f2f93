#include "inspect/listing.h"

#include <string.h>

#include "format/mpy_header.h"
#include "inspect/image_check.h"
#include "inspect/image_walk.h"
#include "util/diag.h"
#include "util/json.h"
#include "util/path.h"

void listing_begin(listing_printer *p, FILE *out, bool json, size_t widest, uint64_t image_size) {
    listing_begin_at(p, out, json, widest, image_size, NULL, 0);
}

void listing_begin_at(listing_printer *p, FILE *out, bool json, size_t widest, uint64_t image_size,
                      const char *format, uint64_t address) {
    p->out = out;
    p->json = json;
    p->width = widest < 4 ? 4 : widest > 60 ? 60 : (int)widest;
    p->first = true;
    if (json) {
        fprintf(out, "{\n  \"size\": %llu,\n", (unsigned long long)image_size);
        if (format != NULL) {
            fprintf(out, "  \"format\": \"%s\",\n  \"address\": %llu,\n", format,
                    (unsigned long long)address);
        }
        fputs("  \"entries\": [", out);
    } else {
        if (format != NULL) {
            fprintf(out, "a ROMFS image of %llu bytes at 0x%08llx in this %s file\n",
                    (unsigned long long)image_size, (unsigned long long)address, format);
        }
        fprintf(out, "%-*s %10s %10s %6s %6s\n", p->width, "PATH", "SIZE", "OFFSET", "NEEDS", "HAS");
    }
}

/* A path as text shows it: control characters and bytes that are not
 * UTF-8 escaped (\n, \x1b), so no name can move the cursor, colour the
 * terminal or forge a line of the listing; its width in columns. */
static size_t print_path(FILE *out, const char *path, size_t len) {
    size_t width = 0;
    for (size_t i = 0; i < len;) {
        char esc[ESCAPE_MAX];
        size_t used, n = escape_one(path + i, len - i, esc, &used);
        fwrite(esc, 1, n, out);
        width += used > 1 ? 1 : n;
        i += used;
    }
    return width;
}

/* Text columns: path (directories end in '/'), size, data offset, the
 * alignment the file's rules ask for, and the one its offset gives (the
 * largest power of two dividing it), flagged when it falls short. */
static void print_text(listing_printer *p, const listing_row *r) {
    size_t width = print_path(p->out, r->path, r->path_len);
    if (r->is_dir) {
        fputc('/', p->out);
        width++;
    }
    int pad = p->width - (int)width;
    fprintf(p->out, "%*s", pad > 0 ? pad : 0, "");
    if (r->is_dir) {
        fprintf(p->out, " %10s %10s %6s %6s\n", "-", "-", "-", "-");
        return;
    }
    fprintf(p->out, " %10llu %10llu %6u %6zu%s", (unsigned long long)r->size,
            (unsigned long long)r->offset, r->need, offset_alignment((size_t)r->offset),
            r->offset % r->need ? "  MISALIGNED" : "");
    mpy_header h;
    if (r->head != NULL && mpy_header_parse(r->head, MPY_HEADER_LEN, &h)) {
        char what[64];
        mpy_header_describe(&h, what, sizeof what);
        fprintf(p->out, "  mpy %s", what);
    }
    fputc('\n', p->out);
}

static void print_json(listing_printer *p, const listing_row *r) {
    fprintf(p->out, "%s\n    {\"path\": ", p->first ? "" : ",");
    json_string(p->out, r->path, r->path_len);
    if (r->is_dir) {
        fprintf(p->out, ", \"type\": \"dir\"}");
        return;
    }
    fprintf(p->out,
            ", \"type\": \"file\", \"size\": %llu, \"offset\": %llu, \"align\": %zu, "
            "\"align_needed\": %u",
            (unsigned long long)r->size, (unsigned long long)r->offset,
            offset_alignment((size_t)r->offset), r->need);
    mpy_header h;
    if (r->head != NULL && mpy_header_parse(r->head, MPY_HEADER_LEN, &h)) {
        /* Bytecode only: no architecture, and no sub-version either (the
         * header carries one only with native code). */
        fprintf(p->out, ", \"mpy\": {\"version\": %u, \"sub_version\": ", h.version);
        const char *arch = mpy_arch_name(h.arch);
        if (h.arch == 0) {
            fputs("null, \"arch\": null", p->out);
        } else if (arch != NULL) {
            fprintf(p->out, "%u, \"arch\": \"%s\"", h.sub_version, arch);
        } else {
            fprintf(p->out, "%u, \"arch\": %u", h.sub_version, h.arch);
        }
        fprintf(p->out, ", \"small_int_bits\": %u}", h.small_int_bits);
    }
    fputc('}', p->out);
}

void listing_print_row(listing_printer *p, const listing_row *r) {
    if (p->json) {
        print_json(p, r);
    } else {
        print_text(p, r);
    }
    p->first = false;
}

void listing_end(listing_printer *p) {
    if (p->json) {
        fprintf(p->out, "%s]\n}\n", p->first ? "" : "\n  ");
    }
}

/* The longest path, for the width of the path column. */
static size_t widest_path(const image_file *f) {
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth, widest = 0;
    while (image_walk_next(&w, &e, &depth) == 1) {
        size_t len = w.path_len + (e.type == ROMFS_TYPE_DIR);
        widest = len > widest ? len : widest;
    }
    image_walk_end(&w);
    return widest;
}

int listing_print(FILE *out, const image_file *f, bool json, const align_policy *policy) {
    listing_printer p;
    bool in_flash = f->format != FLASH_ROMFS;
    listing_begin_at(&p, out, json, json ? 0 : widest_path(f), f->img.size,
                     in_flash ? flash_format_name(f->format) : NULL, f->address);
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth;
    int rc;
    while ((rc = image_walk_next(&w, &e, &depth)) == 1) {
        listing_row r = {w.path, w.path_len, e.type == ROMFS_TYPE_DIR, e.size, 0, 1, NULL};
        if (!r.is_dir) {
            bool expected;
            r.offset = (uint64_t)(e.data - f->bytes);
            r.need = policy->need(policy, w.path, w.path_len, false, &expected);
            if (e.size >= MPY_HEADER_LEN && path_has_suffix(w.path, w.path_len, ".mpy")) {
                r.head = e.data;
            }
        }
        listing_print_row(&p, &r);
    }
    listing_end(&p);
    if (rc < 0) {
        fflush(out);
        diag_error("%s: offset 0x%zx: %s%s%s", shown(f->shown), w.fault_offset, shown(w.path),
                   w.path[0] ? ": " : "", w.fault);
    }
    image_walk_end(&w);
    return rc < 0 ? -1 : 0;
}

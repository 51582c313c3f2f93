#include "inspect/data_area.h"

#include <stdlib.h>

#include "inspect/image_walk.h"
#include "util/alloc.h"

typedef struct {
    uint64_t start, end;
} extent;

static int by_start(const void *a, const void *b) {
    const extent *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

bool image_data_area(const image_file *f, data_area *out) {
    romfs_dir it;
    romfs_record r, last = {0};
    romfs_opendir_root(&f->img, &it);
    bool any = false;
    out->slack = 0;
    while (romfs_dir_next_record(&it, &r) == ROMFS_OK) {
        if (any && last.kind == ROMFS_KIND_PADDING) {
            out->slack += last.length;
        }
        last = r;
        any = true;
    }
    if (!any || last.kind != ROMFS_KIND_PADDING) {
        return false;
    }
    out->start = (uint64_t)(last.payload - f->bytes);
    out->end = out->start + last.payload_len;
    extent *x = NULL;
    size_t n = 0, cap = 0;
    bool inside = true;
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth;
    while (inside && image_walk_next(&w, &e, &depth) == 1) {
        if (e.type == ROMFS_TYPE_DIR || e.size == 0) {
            continue;
        }
        uint64_t at = (uint64_t)(e.data - f->bytes);
        inside = e.indirect && at >= out->start && at + e.size <= out->end;
        VEC_RESERVE(x, n, cap);
        x[n].start = at;
        x[n++].end = at + e.size;
    }
    image_walk_end(&w);
    if (inside && n > 0) {
        qsort(x, n, sizeof *x, by_start);
    }
    out->used = out->holes = out->largest_hole = 0;
    uint64_t covered = out->start;
    for (size_t i = 0; inside && i <= n; i++) {
        uint64_t next = i < n ? x[i].start : out->end;
        if (next > covered) {
            out->holes++;
            out->largest_hole = next - covered > out->largest_hole ? next - covered
                                                                   : out->largest_hole;
        }
        if (i < n && x[i].end > covered) {
            out->used += x[i].end - (x[i].start > covered ? x[i].start : covered);
            covered = x[i].end;
        }
    }
    out->free = out->end - out->start - out->used;
    free(x);
    return inside;
}

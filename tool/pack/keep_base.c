#include "pack/keep_base.h"

#include <stdlib.h>
#include <string.h>

#include "inspect/data_area.h"
#include "inspect/image_check.h"
#include "inspect/image_walk.h"
#include "util/alloc.h"
#include "util/diag.h"

int base_load(const char *path, loaded_base *b) {
    memset(b, 0, sizeof *b);
    if (image_file_open(&b->f, path) != 0) {
        return -1;
    }
    check_opts o = {.quiet = true};
    check_result r;
    if (image_check(&b->f, &o, &r) != 0) {
        diag_error("%s; it cannot be a base (romfs verify lists its faults)", r.first);
        base_free(b);
        return -1;
    }
    hasher h;
    hasher_init(&h);
    hasher_update(&h, b->f.bytes, b->f.len);
    hasher_final(&h, b->identity);
    data_area area;
    b->base.data_start = image_data_area(&b->f, &area) ? area.start : 0;
    b->base.size = b->f.len;
    b->base.files = xcalloc(r.files ? r.files : 1, sizeof *b->base.files);
    image_walk w;
    image_walk_begin(&w, &b->f.img);
    romfs_entry e;
    size_t depth;
    while (image_walk_next(&w, &e, &depth) == 1) {
        if (e.type != ROMFS_TYPE_FILE) {
            continue;
        }
        keep_extent *x = &b->base.files[b->base.n_files++];
        strlist_add(&b->paths, w.path);
        x->offset = (uint64_t)(e.data - b->f.bytes);
        x->size = e.size;
        hasher_init(&h);
        hasher_update(&h, e.data, e.size);
        hasher_final(&h, x->hash);
    }
    image_walk_end(&w);
    for (size_t i = 0; i < b->base.n_files; i++) {
        b->base.files[i].path = b->paths.v[i];
    }
    return 0;
}

void base_free(loaded_base *b) {
    image_file_close(&b->f);
    free(b->base.files);
    strlist_free(&b->paths);
    memset(b, 0, sizeof *b);
}

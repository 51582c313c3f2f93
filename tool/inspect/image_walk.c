#include "inspect/image_walk.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

void image_walk_begin(image_walk *w, const romfs_image *img) {
    memset(w, 0, sizeof *w);
    w->img = img;
    w->cap = 16;
    w->stack = xmalloc(w->cap * sizeof *w->stack);
    w->offset_cap = 16;
    w->dir_offset = xmalloc(w->offset_cap * sizeof *w->dir_offset);
    w->dir_offset[0] = (size_t)(img->payload - img->start);
    w->path_cap = 256;
    w->path = xmalloc(w->path_cap);
    romfs_walk_init(&w->walk, img, w->stack, w->cap, w->path, w->path_cap);
}

/* The limit counts a '/' before every name, the first one's included. */
static int too_long(size_t base, size_t name_len) {
    return name_len > ROMFS_PATH_MAX || base + 1 + name_len > ROMFS_PATH_MAX;
}

static int stop(image_walk *w, size_t fault_offset, const char *fault, size_t path_len) {
    w->fault_offset = fault_offset;
    w->fault = fault;
    w->path_len = path_len;
    w->path[path_len] = '\0';
    w->depth = 0;
    w->over = 1;
    return -1;
}

int image_walk_next(image_walk *w, romfs_entry *e, size_t *depth_out) {
    while (!w->over) {
        size_t depth;
        romfs_status st = romfs_walk_next(&w->walk, e, &depth);
        if (st == ROMFS_E_TOO_DEEP) {
            w->cap *= 2;
            w->stack = xrealloc(w->stack, w->cap * sizeof *w->stack);
            romfs_walk_grow(&w->walk, w->stack, w->cap, w->path, w->path_cap);
            continue;
        }
        if (st == ROMFS_E_PATH_TOO_LONG) {
            size_t base = w->walk.path_len;
            if (too_long(base, e->name_len)) {
                return stop(w, e->record_offset, "path is longer than 4096 bytes", base);
            }
            /* Never beyond what the limit lets through, its NUL included. */
            w->path_cap = w->walk.path_need * 2 < ROMFS_PATH_MAX + 1 ? w->walk.path_need * 2
                                                                     : ROMFS_PATH_MAX + 1;
            w->path = xrealloc(w->path, w->path_cap);
            romfs_walk_grow(&w->walk, w->stack, w->cap, w->path, w->path_cap);
            continue;
        }
        if (st == ROMFS_E_CORRUPT) {
            return stop(w, w->walk.fault_offset, w->walk.fault, w->walk.path_len);
        }
        if (st != ROMFS_OK) {
            break;
        }
        /* A name of exactly the limit at the root fits the buffer but not
         * the limit. The walk puts a '/' before a name unless its
         * directory's path is empty. */
        size_t len = w->walk.path_len;
        size_t base = len > e->name_len ? len - e->name_len - 1 : 0;
        if (too_long(base, e->name_len)) {
            return stop(w, e->record_offset, "path is longer than 4096 bytes", base);
        }
        w->path_len = w->walk.path_len;
        w->depth = depth + 1;
        if (e->type == ROMFS_TYPE_DIR) {
            if (depth + 1 == w->offset_cap) {
                w->offset_cap *= 2;
                w->dir_offset = xrealloc(w->dir_offset, w->offset_cap * sizeof *w->dir_offset);
            }
            w->dir_offset[depth + 1] = (size_t)(e->data - w->img->start);
        }
        *depth_out = depth;
        return 1;
    }
    w->depth = 0;
    return 0;
}

void image_walk_end(image_walk *w) {
    free(w->stack);
    free(w->dir_offset);
    free(w->path);
    memset(w, 0, sizeof *w);
}

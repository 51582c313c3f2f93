#include "inspect/image_walk.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static void push(image_walk *w, const romfs_entry *dir) {
    if (w->depth == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->stack = xrealloc(w->stack, w->cap * sizeof *w->stack);
        w->path_len_at = xrealloc(w->path_len_at, w->cap * sizeof *w->path_len_at);
        w->dir_offset = xrealloc(w->dir_offset, w->cap * sizeof *w->dir_offset);
    }
    if (dir == NULL) {
        romfs_opendir_root(w->img, &w->stack[w->depth]);
    } else {
        romfs_opendir(w->img, dir, &w->stack[w->depth]);
    }
    w->dir_offset[w->depth] = (size_t)(w->stack[w->depth].pos - w->img->start);
    w->path_len_at[w->depth] = w->path_len;
    w->depth++;
}

void image_walk_begin(image_walk *w, const romfs_image *img) {
    memset(w, 0, sizeof *w);
    w->img = img;
    w->path_cap = 256;
    w->path = xmalloc(w->path_cap);
    w->path[0] = '\0';
    push(w, NULL);
}

int image_walk_next(image_walk *w, romfs_entry *e, size_t *depth_out) {
    if (w->descend) {
        w->descend = 0;
        push(w, &w->last);
    }
    while (w->depth > 0) {
        romfs_dir *top = &w->stack[w->depth - 1];
        int r = romfs_readdir(top, e);
        if (r < 0) {
            w->fault_offset = top->fault_offset;
            w->fault = top->fault;
            w->path_len = w->path_len_at[w->depth - 1]; /* name the directory at fault */
            w->path[w->path_len] = '\0';
            w->depth = 0;
            return -1;
        }
        if (r == 0) {
            w->depth--;
            continue;
        }
        size_t base = w->path_len_at[w->depth - 1];
        if (e->name_len > ROMFS_PATH_MAX || base + 1 + e->name_len > ROMFS_PATH_MAX) {
            w->fault_offset = e->record_offset;
            w->fault = "path is longer than 4096 bytes";
            w->path[base] = '\0';
            w->path_len = base;
            w->depth = 0;
            return -1;
        }
        size_t need = base + 1 + e->name_len + 1;
        if (need > w->path_cap) {
            w->path_cap = need * 2;
            w->path = xrealloc(w->path, w->path_cap);
        }
        size_t at = base;
        if (base > 0) {
            w->path[at++] = '/';
        }
        memcpy(w->path + at, e->name, e->name_len);
        w->path_len = at + e->name_len;
        w->path[w->path_len] = '\0';
        *depth_out = w->depth - 1;
        if (e->type == ROMFS_TYPE_DIR) {
            w->descend = 1;
            w->last = *e;
        }
        return 1;
    }
    return 0;
}

void image_walk_end(image_walk *w) {
    free(w->stack);
    free(w->path_len_at);
    free(w->dir_offset);
    free(w->path);
    memset(w, 0, sizeof *w);
}

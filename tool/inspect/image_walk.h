/* Every entry of an image, depth first, with its full path: the runtime
 * reader's directory iteration with an explicit stack, so a deeply
 * nested image cannot exhaust ours. A path longer than ROMFS_PATH_MAX is
 * a fault: no file system could hold it, and it bounds what a walk holds
 * and what `ls` prints for a hostile image. */
#ifndef ROMFS_IMAGE_WALK_H
#define ROMFS_IMAGE_WALK_H

#include <stddef.h>

#include "romfs/reader.h"

enum { ROMFS_PATH_MAX = 4096 };

typedef struct {
    const romfs_image *img;
    romfs_dir *stack;
    size_t *path_len_at; /* path length at each depth, to trim it on the way up */
    size_t *dir_offset;  /* where each open directory's records start: its identity */
    size_t depth, cap;
    char *path; /* of the last entry returned; NUL-terminated */
    size_t path_len, path_cap;
    int descend; /* the last entry was a directory: enter it next */
    romfs_entry last;
    /* After -1; w->path then names the directory being read. */
    size_t fault_offset;
    const char *fault;
} image_walk;

void image_walk_begin(image_walk *w, const romfs_image *img);
/* 1 with the entry in *e and its path in w->path; 0 at the end; -1 on a
 * structural fault (the walk cannot go on). depth_out: 0 for the root's
 * entries. */
int image_walk_next(image_walk *w, romfs_entry *e, size_t *depth_out);
void image_walk_end(image_walk *w);

#endif

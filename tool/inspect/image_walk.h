/* Every entry of an image, depth first, with its full path: the runtime
 * reader's walk (romfs_walk_next) with a stack and a path buffer on the
 * heap that grow when it runs out, so a deeply nested image cannot
 * exhaust ours. A path longer than ROMFS_PATH_MAX is a fault: no file
 * system could hold it, and it bounds what a walk holds and what `ls`
 * prints for a hostile image. */
#ifndef ROMFS_IMAGE_WALK_H
#define ROMFS_IMAGE_WALK_H

#include <stddef.h>

#include "romfs/reader.h"

enum { ROMFS_PATH_MAX = 4096 };

typedef struct {
    const romfs_image *img;
    romfs_walk walk;
    romfs_walk_frame *stack;
    size_t cap;
    size_t *dir_offset; /* where each open directory's records start: its identity */
    size_t offset_cap;
    size_t depth; /* open directories; the last entry's is dir_offset[depth - 1] */
    char *path;   /* of the last entry returned; NUL-terminated */
    size_t path_len, path_cap;
    int over; /* after a fault: the reader's walk may still be able to go on */
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

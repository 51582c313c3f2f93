/* A base image for the block-keeping layout (`build --base OLD`): read
 * whole, since the new image keeps its bytes where no file lies; where
 * each of its files' data is and the content hash of it; and its data area
 * when it is itself a block-keeping image (format/keep_layout.h). */
#ifndef ROMFS_PACK_KEEP_BASE_H
#define ROMFS_PACK_KEEP_BASE_H

#include "format/keep_layout.h"
#include "inspect/image_file.h"
#include "util/strlist.h"

typedef struct {
    image_file f;
    keep_base base;
    strlist paths; /* owns base.files[].path */
    uint8_t identity[HASH_SIZE]; /* XXH3-128 of the whole image */
} loaded_base;

/* -1 with one error line when `path` is not a sound image. */
int base_load(const char *path, loaded_base *b);
void base_free(loaded_base *b);

#endif

/* Writing the image file: the writer's byte stream into a buffered file
 * descriptor, each file's bytes copied from its source in bounded chunks,
 * so memory does not grow with the size of the files. */
#ifndef ROMFS_PACK_IMAGE_OUT_H
#define ROMFS_PACK_IMAGE_OUT_H

#include "format/layout.h"
#include "pack/source.h"

/* The bytes a block-keeping layout keeps where no file lies: the base
 * image's, at the same offsets; past its end, erased flash (0xff). */
typedef struct {
    const uint8_t *bytes;
    size_t len;
} image_base;

/* Writes the image of `c` laid out as `lay` to `fd` (named `out` in
 * messages), filling each source's content hash. A source that is
 * missing, unreadable, replaced or not the size it was when listed is an
 * error: -1, printed. `base` may be NULL. */
int image_out_write(int fd, const char *out, collection *c, const layout *lay,
                    const image_base *base);

#endif

/* Writing the image file: the writer's byte stream into a buffered file
 * descriptor, each file's bytes copied from its source in bounded chunks,
 * so memory does not grow with the size of the files. */
#ifndef ROMFS_PACK_IMAGE_OUT_H
#define ROMFS_PACK_IMAGE_OUT_H

#include "format/layout.h"
#include "pack/source.h"

/* Writes the image of `c` laid out as `lay` to `fd` (named `out` in
 * messages), filling each source's content hash. A source that is
 * missing, unreadable, replaced or not the size it was when listed is an
 * error: -1, printed. */
int image_out_write(int fd, const char *out, collection *c, const layout *lay);

#endif

/* Streams an image to a file descriptor: record headers from the layout,
 * each file's bytes copied from its source in bounded chunks, so memory
 * does not grow with the size of the files. */
#ifndef ROMFS_IMAGE_WRITER_H
#define ROMFS_IMAGE_WRITER_H

#include "format/layout.h"
#include "format/tree.h"

/* Writes the image of `t` laid out as `lay` to `fd` (named `out` in
 * messages), filling each file node's hash. A source that is missing,
 * unreadable or not the size it was when listed is an error: -1, printed. */
int image_write(int fd, const char *out, tree *t, const layout *lay);

#endif

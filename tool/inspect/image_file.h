/* An image read for the commands that inspect images. Its bytes are read
 * into private memory, never mapped, so a file changed or truncated while
 * a command runs can neither change what was checked before it is used
 * nor fault the process (the image's size bounds what that costs). */
#ifndef ROMFS_INSPECT_IMAGE_FILE_H
#define ROMFS_INSPECT_IMAGE_FILE_H

#include <stddef.h>

#include "romfs/reader.h"

/* The largest image the commands read. */
#define IMAGE_READ_LIMIT ((size_t)1 << 30)

typedef struct {
    const char *path;  /* as given; "-" is standard input */
    const char *shown; /* for messages: the path, or "<stdin>" */
    unsigned char *bytes;
    size_t len; /* bytes read: the image */
    romfs_image img;
} image_file;

/* -1 with one error line naming what is wrong (missing, not a file, not an
 * image, truncated, too large). */
int image_file_open(image_file *f, const char *path);
void image_file_close(image_file *f);

#endif

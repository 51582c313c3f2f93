/* An image file mapped read-only for the commands that read images. */
#ifndef ROMFS_IMAGE_FILE_H
#define ROMFS_IMAGE_FILE_H

#include <stddef.h>

#include "romfs/reader.h"

typedef struct {
    const char *path;
    const unsigned char *bytes;
    size_t len; /* of the file, which may hold more than the image */
    romfs_image img;
} image_file;

/* -1 with one error line naming what is wrong (missing, empty, not an
 * image, truncated). */
int image_file_open(image_file *f, const char *path);
void image_file_close(image_file *f);

#endif

/* An image read for the commands that inspect images. Its bytes are read
 * into private memory, never mapped, so a file changed or truncated while
 * a command runs can neither change what was checked before it is used
 * nor fault the process (the image's size bounds what that costs). */
#ifndef ROMFS_INSPECT_IMAGE_FILE_H
#define ROMFS_INSPECT_IMAGE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "flash/formats.h"
#include "romfs/reader.h"

/* The largest image the commands read. */
#define IMAGE_READ_LIMIT ((size_t)1 << 30)
/* The largest flash file they read an image from: room for the largest
 * image as Intel HEX, which takes 2.8 bytes a byte. */
#define FLASH_FILE_READ_LIMIT ((size_t)3 << 30)

typedef struct {
    const char *path;  /* as given; "-" is standard input */
    const char *shown; /* for messages: the path, or "<stdin>" */
    unsigned char *bytes;
    size_t len; /* bytes read: the image */
    romfs_image img;
    flash_format format; /* FLASH_ROMFS: a raw image; else the flash file it was found in */
    uint64_t address;    /* in a flash file: where the image sits */
} image_file;

/* -1 with one error line naming what is wrong (missing, not a file, not an
 * image, truncated, too large). */
int image_file_open(image_file *f, const char *path);
/* The same, and a flash file holding an image, told by its content:
 * Intel HEX, UF2, DfuSe or ELF. The image is the one at the start of the
 * lowest segment that starts with the ROMFS magic (d2 cd 31), after at
 * most 255 bytes of 0xff (the erased flash before an image that does not
 * start a UF2 page). Only the image's bytes are kept. */
int image_file_open_flash(image_file *f, const char *path);
void image_file_close(image_file *f);

#endif

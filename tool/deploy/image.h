/* The image a flash file carries, as the deploy layer sees it: its size,
 * the alignment its files need in flash, and its bytes, in memory or
 * behind a read callback (so that writing never needs a second copy). */
#ifndef ROMFS_DEPLOY_IMAGE_H
#define ROMFS_DEPLOY_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "flash/segment.h"

typedef struct {
    const char *what; /* its name in messages: the image file */
    uint64_t size;
    unsigned max_align;   /* the largest alignment any of its files needs */
    const char *rules;    /* what says so, for messages: "built-in rules (*.tflite: 16)" */
    const uint8_t *bytes; /* in memory, or NULL and read/ctx */
    flash_read_fn read;
    void *ctx;
} deploy_image;

/* `n` bytes from `offset`, 0xff past the image's end (erased flash): 0, or
 * -1 with errno from the callback. */
int deploy_image_read(const deploy_image *img, uint64_t offset, uint8_t *buf, size_t n);

#endif

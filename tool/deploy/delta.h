/* A delta: the erase blocks of a new image that differ from an old one,
 * each whole, for a flasher that erases a block and writes it again.
 *
 * The blocks are those the new image occupies, counted from its start
 * (which the caller puts on an erase block boundary). A block changed
 * when any byte of the new image in it differs from the old image's, or
 * lies past the old image's end. A changed block is written whole: the
 * new image's bytes, then 0xff (erased flash) past its end. Blocks past
 * the new image's end are never written, even when the old image reached
 * into them: the new image's header says where it ends, and what lies
 * beyond is not read. */
#ifndef ROMFS_DEPLOY_DELTA_H
#define ROMFS_DEPLOY_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "deploy/image.h"

typedef struct {
    uint64_t offset, length; /* from the image's start; touching blocks are one run */
} delta_run;

typedef struct {
    delta_run *v;
    size_t n, cap;
    uint64_t blocks;  /* the new image's */
    uint64_t changed; /* of them */
    uint64_t bytes;   /* to write: the runs' lengths */
} delta;

/* `limit`: no byte at or past this offset is written (the partition's
 * end), so a last block that straddles it is cut there. -1 with an error
 * line when the new image's bytes cannot be read. */
int delta_compute(const deploy_image *img, const uint8_t *old, size_t old_len, uint64_t erase_block,
                  uint64_t limit, delta *out);
void delta_free(delta *d);

#endif

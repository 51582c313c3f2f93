/* Where every record and every file's data goes in the image. */
#ifndef ROMFS_LAYOUT_H
#define ROMFS_LAYOUT_H

#include <stdint.h>

#include "format/tree.h"

typedef struct {
    uint64_t size;        /* the whole image, header included; always even */
    uint64_t payload_len; /* the filesystem record's payload */
    unsigned root_width;  /* bytes of the filesystem length varuint */
    unsigned tail;        /* bytes of a padding record closing the payload */
    unsigned max_align;   /* the largest alignment any file asked for */
    uint64_t padding;     /* bytes this image has beyond the same tree unaligned */
} layout;

/* Fills the layout fields of every node of `t` (sorted) and `out`. */
void layout_compute(tree *t, layout *out);

#endif

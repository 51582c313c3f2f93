/* Where every record and every file's data goes in the image. */
#ifndef ROMFS_FORMAT_LAYOUT_H
#define ROMFS_FORMAT_LAYOUT_H

#include <stdint.h>

#include "format/tree.h"

/* One node's records. */
typedef struct {
    uint64_t len;       /* the record's payload length */
    uint64_t pad;       /* a file: padding before its data record */
    uint64_t data_offset;
    uint8_t width;      /* bytes given to that length's varuint */
    uint8_t data_width; /* a file: bytes given to the data length's varuint */
} placement;

typedef struct {
    uint64_t size;        /* the whole image, header included; always even */
    uint64_t payload_len; /* the filesystem record's payload */
    unsigned root_width;  /* bytes of the filesystem length varuint */
    unsigned tail;        /* bytes of a padding record closing the payload */
    unsigned max_align;   /* the largest alignment any file asked for */
    uint64_t padding;     /* bytes this image has beyond the same tree unaligned */
    placement *at;        /* by node id */
    /* The block-keeping layout (format/keep_layout.h): files' data in one
     * padding record after the tree, each file's record pointing at it. */
    bool keep;
    uint64_t tree_end;    /* where the tree's records end */
    uint64_t filler;      /* bytes of the padding record between the tree and the data's; 0 or >= 2 */
    unsigned data_header; /* bytes of the data record's kind and length */
    uint64_t data_start, data_end; /* the data area: [data_start, data_end) */
} layout;

/* Lays out `t` (sorted). */
void layout_compute(const tree *t, layout *out);
void layout_free(layout *l);

#endif

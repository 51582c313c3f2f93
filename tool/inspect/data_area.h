/* The data area of an image whose files' data live apart from the tree:
 * the payload of the root's last record, a padding record that holds
 * every file's data through indirect records, as the block-keeping layout
 * writes it (format/keep_layout.h). What `verify` reports of it and what
 * `build --base` keeps. */
#ifndef ROMFS_INSPECT_DATA_AREA_H
#define ROMFS_INSPECT_DATA_AREA_H

#include <stdbool.h>
#include <stdint.h>

#include "inspect/image_file.h"

typedef struct {
    uint64_t start, end; /* offsets in the image */
    uint64_t used;       /* bytes some file's data covers (a shared copy once) */
    uint64_t free;       /* the rest: holes a later build may fill */
    uint64_t holes, largest_hole;
    uint64_t slack; /* root padding before the area: room for the tree to grow */
} data_area;

/* false when the image has no such area (data inline, as the canonical
 * layout and mpremote write it). The image must be sound (verify). */
bool image_data_area(const image_file *f, data_area *out);

#endif

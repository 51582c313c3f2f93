/* Where an image's bytes go: every byte is a file's data, metadata (record
 * headers, names, indirect records: what the format needs to find the
 * data), or padding (alignment padding, the leading 0x80 bytes of padded
 * varuints, padding records, what no file uses in a data area), and each
 * is charged to the file or directory whose record holds it. The numbers
 * of `romfs report`. */
#ifndef ROMFS_INSPECT_SPACE_H
#define ROMFS_INSPECT_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inspect/image_file.h"
#include "util/hash.h"

typedef struct {
    char *path; /* "" for the root */
    bool is_dir;
    size_t parent; /* index of the directory holding it (the root holds itself) */
    /* A file: its size, where its data starts, the largest power of two
     * dividing that offset, and the XXH3-128 of its bytes. */
    uint64_t size, offset;
    unsigned align;
    uint8_t hash[HASH_SIZE];
    /* Charged to this entry alone: its data (0 for a file sharing another
     * file's bytes), metadata and padding. */
    uint64_t data, metadata, padding;
    /* A directory: all of the above for it and everything below it. */
    uint64_t total;
} space_item;

typedef struct {
    space_item *items; /* in image order, the root first */
    size_t n, cap;
    uint64_t image, data, metadata, padding; /* data + metadata + padding == image */
} space;

/* Accounts for every byte of `f`, which must be sound (image_check). -1
 * after a structural fault, printed. */
int space_account(const image_file *f, space *out);
void space_free(space *s);

#endif

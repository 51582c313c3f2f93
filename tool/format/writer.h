/* The image's bytes in order, handed to a sink: record headers, names and
 * padding through `bytes`, each file's data through `file_data`. The same
 * walk writes an image (pack/image_out.c copies each file's bytes) and
 * computes the key that says whether an image is up to date
 * (pack/image_key.c takes each file's content hash in place of its bytes),
 * so no byte the writer emits can be left out of the key. */
#ifndef ROMFS_FORMAT_WRITER_H
#define ROMFS_FORMAT_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "format/layout.h"
#include "format/tree.h"

typedef struct image_sink image_sink;
struct image_sink {
    int (*bytes)(image_sink *s, const void *p, size_t n);
    /* The n->size bytes of file `n`'s data, at image offset `offset`. */
    int (*file_data)(image_sink *s, const node *n, uint64_t offset);
    /* A block-keeping layout's bytes that no record or file uses, `n` of
     * them at `offset`: the sink supplies them (a base image's bytes at the
     * same offsets keep its flash blocks unchanged). */
    int (*gap)(image_sink *s, uint64_t offset, uint64_t n);
};

/* Emits the image of `t` laid out as `lay` (canonical, or block-keeping
 * when lay->keep); the first failure of the sink (which has reported it)
 * ends the walk with -1. */
int image_write(const tree *t, const layout *lay, image_sink *s);

/* The image's first bytes: the filesystem kind as a varuint. */
enum { IMAGE_MAGIC_LEN = 3 };
extern const uint8_t image_magic[IMAGE_MAGIC_LEN];

#endif

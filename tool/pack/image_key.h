/* The key of an image: a hash of the tool (its version and its own
 * binary) and of the writer's whole output for it, with each file's
 * content hash standing in for its bytes. Equal keys mean equal images,
 * so an image whose key is the one recorded when it was written is up to
 * date, and nothing that shapes its bytes can be left out of the key. */
#ifndef ROMFS_PACK_IMAGE_KEY_H
#define ROMFS_PACK_IMAGE_KEY_H

#include <stdint.h>

#include "format/layout.h"
#include "pack/source.h"

/* Every source's hash must be known. `base`: the hash of the base image
 * whose bytes a block-keeping layout keeps, or NULL. */
void image_key(const collection *c, const layout *lay, const uint8_t self[HASH_SIZE],
               const uint8_t *base, uint8_t out[HASH_SIZE]);

#endif

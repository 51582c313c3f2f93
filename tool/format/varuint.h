/* The format's base-128 integers, most significant group first. */
#ifndef ROMFS_VARUINT_H
#define ROMFS_VARUINT_H

#include <stddef.h>
#include <stdint.h>

enum { VARUINT_MAX = 10 }; /* bytes for any uint64_t */

/* Bytes in the shortest encoding of v. */
unsigned varuint_len(uint64_t v);

/* Encodes v in exactly `width` bytes (>= varuint_len(v)), padding with
 * leading 0x80 bytes; returns width. */
size_t varuint_put(uint8_t *out, uint64_t v, unsigned width);

#endif

/* Numbers as users write them on the command line, in manifests and in
 * CMake: one grammar everywhere, so that a size means the same to the
 * tool and to romfs_add_image()/romfs_embed_image() (cmake/Romfs.cmake
 * implements the same rules, and tests/test_sizes.py holds both to them). */
#ifndef ROMFS_UTIL_NUMBER_H
#define ROMFS_UTIL_NUMBER_H

#include <stdbool.h>
#include <stdint.h>

/* The largest size: partitions live in a 32-bit address space. */
#define SIZE_LIMIT ((uint64_t)1 << 32)

/* Digits at the start of `s`, decimal or 0x hex; *rest points after them.
 * False when there are none or the value does not fit. */
bool parse_uint(const char *s, uint64_t *out, const char **rest);

/* A size: decimal (131072), 0x hex (0x20000), or decimal with a K or M
 * suffix, 1024-based (128K, 8M; k and m too). From 1 to SIZE_LIMIT. NULL
 * on success, else what is wrong, to follow the option's name. */
const char *parse_size(const char *s, uint64_t *out);

/* An alignment: a power of two from 1 to 4096, decimal or 0x hex. */
const char *parse_align(const char *s, unsigned *out);

/* A block size (a flash's erase block): a size, as parse_size takes it,
 * that is a power of two. */
const char *parse_block_size(const char *s, uint64_t *out);

/* Hex digits, with or without a leading 0x, as USB IDs are written
 * (0483:df11): the value, at most `max`; *rest points after them. False
 * when there are none or the value is larger. */
bool parse_hex(const char *s, uint64_t max, uint64_t *out, const char **rest);

#endif

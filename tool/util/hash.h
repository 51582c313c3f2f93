/* XXH3-128, the content hash of the build cache: of byte strings, streamed,
 * and of whole files read in bounded chunks. */
#ifndef ROMFS_UTIL_HASH_H
#define ROMFS_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

enum { HASH_SIZE = 16 };

typedef struct {
    XXH3_state_t *st;
} hasher;

/* Running out of memory ends the program, as xmalloc does. */
void hasher_init(hasher *h);
void hasher_update(hasher *h, const void *p, size_t n);
void hasher_u64(hasher *h, uint64_t v); /* little-endian */
void hasher_str(hasher *h, const char *s); /* with its NUL, so strings do not run together */
/* The digest (canonical, big-endian bytes); frees the state. */
void hasher_final(hasher *h, uint8_t out[HASH_SIZE]);

/* Hashes the file at `path`; -1 with errno set on failure. `size` gets the
 * number of bytes hashed (may be NULL). */
int hash_file(const char *path, uint8_t out[HASH_SIZE], uint64_t *size);

#endif

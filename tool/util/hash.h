/* XXH3-128 of whole files, read in bounded chunks. */
#ifndef ROMFS_FILE_HASH_H
#define ROMFS_FILE_HASH_H

#include <stdint.h>

enum { HASH_SIZE = 16 };

/* Hashes the file at `path`; -1 with errno set on failure. `size` gets the
 * number of bytes hashed (may be NULL). */
int hash_file(const char *path, uint8_t out[HASH_SIZE], uint64_t *size);

#endif

/* SHA-256, through OpenSSL's libcrypto: the hash a provenance record and
 * an SBOM name inputs and images by, where others can check it with
 * sha256sum. (The build cache keeps XXH3-128, which is faster.) */
#ifndef ROMFS_UTIL_SHA256_H
#define ROMFS_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

enum { SHA256_SIZE = 32 };

typedef struct sha256_state sha256_state;

/* Running out of memory ends the program, as xmalloc does. */
sha256_state *sha256_begin(void);
void sha256_update(sha256_state *s, const void *p, size_t n);
/* The digest; frees the state. */
void sha256_end(sha256_state *s, uint8_t out[SHA256_SIZE]);

/* The file at `path`, read in bounded chunks; -1 with errno on failure.
 * `size` (may be NULL) gets the bytes hashed. */
int sha256_file(const char *path, uint8_t out[SHA256_SIZE], uint64_t *size);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const uint8_t digest[SHA256_SIZE], char out[2 * SHA256_SIZE + 1]);

#endif

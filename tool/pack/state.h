/* The packer's memory of its last build of one image: the key of what it
 * wrote, what the image file looked like afterwards, and each source's
 * stat and content hash. It is an optimisation only: a missing, stale or
 * damaged state costs re-reading the sources, never a wrong image. */
#ifndef ROMFS_STATE_H
#define ROMFS_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "pack/source.h"
#include "util/hash.h"
#include "util/pathmap.h"

typedef struct {
    file_stat st;
    uint8_t hash[HASH_SIZE];
} state_source;

typedef struct {
    bool valid;
    uint8_t key[HASH_SIZE]; /* of the image last written */
    file_stat image;        /* the image file right after that write */
    pathmap sources;        /* host path -> state_source */
    char *raw;              /* the file's bytes; keys point into it */
    unsigned long raw_len;
    state_source *entries;
} build_state;

/* Reads `path`; a missing or damaged file, or no path, gives an empty,
 * invalid state. */
void state_load(build_state *s, const char *path);
/* The stored hash of `host` if its stat is still `st`, else NULL. */
const uint8_t *state_hash_for(const build_state *s, const char *host, const file_stat *st);
/* The hash of `host`: the stored one if its stat is still `st`, else by
 * reading it; -1 with errno when it cannot be read. */
int state_hash_or_read(const build_state *s, const char *host, const file_stat *st,
                       uint8_t out[HASH_SIZE]);
/* Records the sources (their hashes filled in) and the image; -1 with
 * errno, printing nothing, when it cannot.
 * Sources changed within the last two seconds are marked untrusted, so
 * an edit in the same second as the build cannot hide behind an equal
 * mtime. Writes only when the bytes differ from what was loaded. */
int state_save(const build_state *old, const char *path, const uint8_t key[HASH_SIZE],
               const file_stat *image, const collection *c);
void state_free(build_state *s);

#endif

/* What the packer reads for each file of the image: the node in the image
 * tree (format/tree.h) says where the bytes land, the source says where
 * they come from. A .py compiled to .mpy reads its compiled file from the
 * cache, and remembers the .py it was made from. */
#ifndef ROMFS_PACK_SOURCE_H
#define ROMFS_PACK_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "format/tree.h"
#include "util/file_stat.h"
#include "util/hash.h"
#include "util/strlist.h"

typedef struct {
    node *node;              /* where it lands */
    char *host;              /* the file to read; NULL until compiled */
    file_stat st;            /* of host, when the walk (or the compile) saw it */
    uint8_t hash[HASH_SIZE]; /* XXH3-128 of host's bytes, once read or recalled */
    bool hashed;             /* whether hash is known yet */
    /* A .py compiled to .mpy: the .py, and its path in the image as a .py,
     * which mpy-cross records (-s) in place of a host path. */
    char *py_host;
    char *py_name;
    file_stat py_st;
    uint8_t py_hash[HASH_SIZE];
} source;

/* The image tree, what each file is read from, and every path a build
 * system must watch (the manifest, each source, each directory listed). */
typedef struct {
    tree t;
    source **srcs;
    size_t n_srcs, cap_srcs;
    strlist deps;
    size_t mpy_fallbacks; /* .py files packed as source (mpy: auto, no compiler) */
} collection;

/* The source of file node `n`. */
static inline source *source_of(const node *n) {
    return (source *)n->content;
}

void collection_init(collection *c);
source *collection_add(collection *c, node *n);
void collection_free(collection *c);

#endif

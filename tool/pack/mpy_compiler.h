/* Which mpy-cross compiles .py files, and what it is: image.mpy_cross in
 * the manifest, else -D ROMFS_MPY_CROSS, else mpy-cross on PATH. */
#ifndef ROMFS_MPY_COMPILER_H
#define ROMFS_MPY_COMPILER_H

#include <stdbool.h>
#include <stdint.h>

#include "util/hash.h"
#include "manifest/manifest.h"
#include "util/strlist.h"

typedef struct {
    /* Inputs. */
    const char *spec;      /* "path [args...]", or NULL for mpy-cross on PATH */
    const char *spec_from; /* where spec came from, for messages */
    const char *base_dir;  /* relative paths in spec are relative to this */
    const char *cache_dir;
    const char *extra_args; /* image.mpy_args, or NULL */
    const char *march;      /* -march for mpy-cross, or NULL */
    /* Found on first use. */
    int state;                   /* 0: not looked for; 1: located; 2: identified; -1: none */
    char *path;                  /* absolute */
    strlist args;                /* the extra arguments */
    uint8_t identity[HASH_SIZE]; /* of its --version output and its binary */
    char *missing;               /* why there is none */
} mpy_compiler;

/* Which compiler a build of `m` uses: image.mpy_cross, else
 * `define_spec` (-D ROMFS_MPY_CROSS), else mpy-cross on PATH. `cache_dir`
 * may be NULL (nothing is remembered). */
void mpy_compiler_init(mpy_compiler *c, const manifest *m, const char *define_spec,
                       const char *cache_dir);
/* The compiler's path and arguments, found on first call without running
 * it; NULL with c->missing set when there is none. */
const mpy_compiler *mpy_compiler_locate(mpy_compiler *c);
/* The compiler, found and identified on first call (its identity comes
 * from the cache while its binary's stat is unchanged, so a warm build
 * runs nothing); NULL with c->missing set when there is none. */
const mpy_compiler *mpy_compiler_find(mpy_compiler *c);
void mpy_compiler_free(mpy_compiler *c);

#endif

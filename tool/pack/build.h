/* The packer: a loaded manifest in, an image file out, rebuilt only when
 * something it depends on changed. */
#ifndef ROMFS_BUILD_H
#define ROMFS_BUILD_H

#include "manifest/manifest.h"

typedef struct {
    const char *output;
    const char *depfile;      /* NULL: none */
    const char *listing;      /* NULL: none */
    const char *align_header; /* NULL: none */
    const char *cache_dir;    /* NULL: .romfs-cache beside the output */
    const char *mpy_cross;    /* -D ROMFS_MPY_CROSS, used without image.mpy_cross */
    unsigned jobs;            /* compiles at once; 0: one per processor */
} build_opts;

/* Returns the exit status; every failure has been reported, and leaves
 * no output behind. */
int build_run(const manifest *m, const build_opts *o);

#endif

/* The packer: a loaded manifest in, an image file and its side outputs
 * out, the image rewritten only when something that shapes its bytes
 * changed. */
#ifndef ROMFS_PACK_BUILD_H
#define ROMFS_PACK_BUILD_H

#include <stddef.h>

#include "manifest/manifest.h"
#include <stdbool.h>

#include "outputs/output.h"

typedef struct {
    const char *output;
    const char *cache_dir; /* NULL: .romfs-cache beside the output */
    const char *mpy_cross; /* -D ROMFS_MPY_CROSS, used without image.mpy_cross */
    unsigned jobs;         /* compiles at once; 0: one per processor */
    const char *base;      /* the block-keeping layout against this image; NULL: none */
    bool keep_layout;      /* the block-keeping layout (against base, or afresh); else canonical */
    uint64_t erase_block;  /* for the block-keeping layout and reports; 0: 4 KiB */
    const char *report_base; /* reports compare against this image; NULL: none */
    const defines *defs;     /* -D, for the provenance record; may be NULL */
    const deploy_request *deploy; /* for --flash outputs */
    output *outputs;       /* side files, written after the image */
    size_t n_outputs;
} build_opts;

/* Returns the exit status; every failure has been reported, and leaves
 * no output behind. */
int build_run(const manifest *m, const build_opts *o);

#endif

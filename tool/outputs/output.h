/* Every file a build writes beside the image goes through one interface:
 * an output is handed the finished build (the tree, its layout, what the
 * image was made from) and, if it asks, the image's bytes as a stream.
 * A new kind of output is one file defining an output_kind plus a row in
 * outputs/registry.c; the build and the command line find it there. */
#ifndef ROMFS_OUTPUTS_OUTPUT_H
#define ROMFS_OUTPUTS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deploy/request.h"
#include "format/layout.h"
#include "format/tree.h"
#include "inspect/image_check.h"
#include "util/strlist.h"

/* One input of the image, for the provenance record and the SBOM. */
typedef struct {
    const char *host;     /* where it was read */
    const char *path;     /* inside the image */
    const char *compiled; /* a .py's compiled .mpy in the cache, or NULL */
} build_input;

/* What an image was made from, beyond its files. */
typedef struct {
    const char *manifest;  /* as given; NULL for pack-dir */
    const char *source_dir; /* what input paths are recorded relative to */
    const char *const *define_names, *const *define_values; /* in force, sorted by name */
    size_t n_defines;
    const char *mpy_cross; /* the compiler used, or NULL */
    const char *const *mpy_args;
    size_t n_mpy_args;
    const build_input *inputs; /* in image order */
    size_t n_inputs;
} build_origin;

/* The finished build, as every output sees it. */
typedef struct {
    const char *image;  /* the image file, complete and in place */
    const tree *t;      /* what it holds */
    const layout *lay;  /* where */
    const strlist *deps; /* every input a build system must watch */
    bool has_capacity;
    uint64_t capacity;
    const align_policy *policy; /* what each file of the image needs, as the build decided */
    const char *report_base;    /* reports compare against this image; NULL: none */
    uint64_t erase_block;       /* for deltas and reports; 0: 4 KiB */
    /* The first `n` bytes of file `n`'s data (a .mpy header, for the
     * listing); -1 when they cannot be read. */
    int (*head)(const node *file, uint8_t *buf, size_t n);
    const build_origin *origin;
    /* For --flash: where the partition is and the files' options, from the
     * command line and the manifest's image.partition. */
    const deploy_request *deploy;
} build_view;

typedef struct output output;

typedef struct {
    const char *name;   /* in messages: "the listing" */
    const char *option; /* `build --OPTION FILE` asks for it; NULL: none of its own */
    const char *help;   /* for that option */
    /* Writes the output for `v` to o->path, only when its contents change,
     * so that nothing depending on it rebuilds for nothing. */
    int (*write)(output *o, const build_view *v);
} output_kind;

struct output {
    const output_kind *kind;
    const char *path;
};

/* The table of output kinds (outputs/registry.c), ended by a NULL name. */
extern const output_kind *const output_kinds[];
const output_kind *output_kind_for_option(const char *option);

/* Fails early, before the image is replaced, on an output that could never
 * be written: a directory in its place, or no directory to hold it. */
int output_check_writable(const output *o);

#endif

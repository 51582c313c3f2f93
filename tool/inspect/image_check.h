/* `romfs verify`'s checks, also run by `extract` before it writes
 * anything: structure (bounds, names, duplicates, even size) and, when
 * asked, each file's alignment as an alignment policy states it. */
#ifndef ROMFS_INSPECT_IMAGE_CHECK_H
#define ROMFS_INSPECT_IMAGE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "inspect/image_file.h"

/* What an image is judged by: the built-in rules, a target's, or exactly
 * what a manifest's build would decide (pack/align_policy.c). */
typedef struct align_policy align_policy;
struct align_policy {
    const char *rules; /* what verify says it applied, e.g. "the built-in rules" */
    const char *why;   /* appended to a misalignment fault: " (from the manifest)" */
    /* The alignment the entry at `path` needs (1: none). *expected is set
     * false for an entry the policy would not put in the image. */
    unsigned (*need)(const align_policy *p, const char *path, size_t len, bool is_dir,
                     bool *expected);
    /* After the walk, calls `report` for each entry the policy would put in
     * the image that the walk did not see; may be NULL. */
    void (*unseen)(const align_policy *p, void (*report)(void *ctx, const char *path), void *ctx);
};

typedef struct {
    const align_policy *align; /* NULL: structure only */
    bool quiet;                /* count faults, keep the first, print none */
    bool control_names;        /* names with control characters are not faults */
} check_opts;

typedef struct {
    size_t files, dirs, faults;
    unsigned max_align; /* the largest alignment a file needed */
    char first[512];    /* the first fault, as its message would read */
} check_result;

/* Prints one error line per fault (up to a limit); returns the count. */
size_t image_check(const image_file *f, const check_opts *o, check_result *r);

/* The largest power of two dividing `offset` (capped at 1 << 30). */
size_t offset_alignment(size_t offset);

#endif

/* `romfs verify`'s checks, also run by `extract` before it writes
 * anything: structure (bounds, names, duplicates, even size) and, when
 * asked, each file's alignment. */
#ifndef ROMFS_IMAGE_CHECK_H
#define ROMFS_IMAGE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "inspect/image_file.h"
#include "manifest/manifest.h"

typedef struct {
    bool check_align;
    const manifest *m; /* alignment from its rules; NULL: the built-ins */
    bool quiet;        /* count faults, keep the first, print none */
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

/* What the report's forms share: the kind a file is shown as, shares of
 * the image and the capacity, and the files in order of size. */
#ifndef ROMFS_OUTPUTS_REPORT_MODEL_H
#define ROMFS_OUTPUTS_REPORT_MODEL_H

#include <stddef.h>

#include "outputs/report.h"

/* "model", "python", "text", "image", "web" or "data", by the name's end. */
const char *report_kind(const char *path);
/* part / whole as a percentage; 0 for an empty whole. */
double report_share(uint64_t part, uint64_t whole);
/* The files' indices in r->s.items, largest first (ties by path); n set. */
size_t *report_files_by_size(const report *r, size_t *n);
/* Bytes left of the capacity (negative when over). */
int64_t report_free_bytes(const report *r);
/* The changes, largest |size delta| first, as rows: added, removed,
 * renamed and changed files together (a rename as one row, not as the
 * removal and the addition it also is). */
typedef struct {
    const char *what; /* "added", "removed", "renamed", "changed" */
    const char *from; /* a rename's old path; else NULL */
    const char *path;
    uint64_t old_size, new_size;
} report_row;
report_row *report_changes(const report *r, size_t *n);

#endif

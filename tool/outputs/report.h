/* `romfs report`: where an image's bytes go (inspect/space.h), against a
 * capacity and, with a base image, what changed. One model, four forms:
 * text for a terminal, JSON for scripts, Markdown for a pull request, and
 * one self-contained HTML page with a treemap. `build --report FILE`
 * writes the same beside the image. */
#ifndef ROMFS_OUTPUTS_REPORT_H
#define ROMFS_OUTPUTS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "inspect/space.h"
#include "outputs/output.h"

typedef enum { REPORT_TEXT, REPORT_JSON, REPORT_MARKDOWN, REPORT_HTML } report_format;

typedef struct {
    const char *path;
    uint64_t old_size, new_size;
} report_change;

/* A file removed and one added with the same bytes: a rename (or move).
 * The two stay in `added` and `removed` too, for scripts that read only
 * those. */
typedef struct {
    const char *from, *to;
} report_rename;

typedef struct {
    const char *path;
    int64_t delta; /* of the directory's total */
    uint64_t old_total, new_total;
} report_dir_delta;

typedef struct {
    const char **added, **removed; /* paths */
    size_t n_added, n_removed;
    report_change *changed;
    size_t n_changed, unchanged;
    report_rename *renamed;
    size_t n_renamed;
    report_dir_delta *dirs;
    size_t n_dirs;
    int64_t delta;            /* of the image's size */
    uint64_t blocks_changed;  /* erase blocks whose bytes differ */
    uint64_t blocks;          /* erase blocks of the larger image */
    uint64_t erase_block;
} report_diff;

typedef struct {
    const char *name; /* the image, as the user named it */
    space s;
    bool has_capacity;
    uint64_t capacity;
    const align_policy *policy; /* what each file needs; NULL: not shown */
    unsigned *need;             /* by item, from the policy */
    const char *base_name;      /* NULL: no base */
    space base;
    report_diff diff;
} report;

/* Reads `image` (and `base_name`, when given) and fills `r`. -1 printed. */
int report_make(report *r, const image_file *image, const image_file *base,
                const align_policy *policy, bool has_capacity, uint64_t capacity,
                uint64_t erase_block);
void report_free(report *r);

int report_write(FILE *out, const report *r, report_format format);
/* The format a file name asks for: .json, .md/.markdown, .html/.htm, else text. */
report_format report_format_for(const char *path);
/* "text", "json", "markdown", "html" -> format; -1 for any other name. */
int report_format_by_name(const char *name);

/* The forms; report_write calls them. */
void report_write_text(FILE *out, const report *r);
void report_write_json(FILE *out, const report *r);
void report_write_markdown(FILE *out, const report *r);
void report_write_html(FILE *out, const report *r);

/* `build --report FILE`. */
extern const output_kind report_output;

#endif

/* The manifest (manifests/README.md): what goes into one image, as loaded from
 * YAML with every value checked and every ${NAME} expanded. */
#ifndef ROMFS_MANIFEST_H
#define ROMFS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "format/mpy_header.h"
#include "manifest/defines.h"
#include "manifest/glob.h"

enum { MPY_UNSET = -1, MPY_OFF = 0, MPY_ON = 1, MPY_AUTO = 2 };
enum { TARGET_NONE = 0, TARGET_N6 = 1 };

/* Per-file settings as one layer (image, a rule, an entry) states them. */
typedef struct {
    unsigned align; /* 0: not set here */
    int mpy;        /* MPY_UNSET or a mode */
    int exclude;    /* -1: not set here */
} settings;

typedef struct {
    char *pattern;
    glob *glob;
    settings set;
    src_pos pos;
} rule;

typedef struct {
    char *src;
    char *dst; /* NULL: the default */
    char **exclude;
    glob **exclude_globs;
    size_t n_exclude;
    src_pos *exclude_pos;
    settings set;
    src_pos pos, src_pos, dst_pos;
} file_entry;

/* image.partition: where the image lives on the device. */
typedef struct {
    bool has_address, has_size;
    uint64_t address, size, erase_block; /* erase_block 0: not given */
    src_pos pos;
} partition_spec;

/* budgets[]: the files a glob matches (or that lie below a directory it
 * matches) may hold at most `max` bytes in all. */
typedef struct {
    char *pattern;
    glob *glob;
    uint64_t max;
    src_pos pos;
} budget;

typedef struct {
    char *path; /* as given */
    char *dir;  /* the directory relative sources are found from */
    bool has_capacity;
    uint64_t capacity;
    src_pos capacity_pos;
    settings image; /* image.align (always set), image.mpy */
    int target;
    bool default_excludes; /* image.default_excludes, default true */
    char *mpy_cross; /* image.mpy_cross, NULL when absent */
    src_pos mpy_cross_pos;
    char *mpy_args;  /* image.mpy_args: more arguments for mpy-cross; NULL: none */
    char *march;     /* image.march: -march for mpy-cross; NULL: none */
    bool has_mpy_abi; /* image.mpy_abi: what every .mpy must be built for */
    mpy_abi mpy_abi;
    char *mpy_abi_text;
    src_pos mpy_abi_pos;
    partition_spec partition;
    bool has_warn_at; /* image.warn_at: warn past this share of the capacity */
    double warn_at;   /* a fraction, (0, 1] */
    src_pos warn_at_pos;
    budget *budgets;
    size_t n_budgets;
    rule *rules;
    size_t n_rules;
    file_entry *files;
    size_t n_files;
} manifest;

/* Loads and checks a manifest; on any fault prints one error line and
 * returns -1. */
int manifest_load(const char *path, const defines *defs, manifest *m);
/* The same for manifest text already in memory; `path` names it in
 * messages and anchors relative sources. */
int manifest_parse(const char *path, const char *text, size_t len, const defines *defs,
                   manifest *m);
void manifest_free(manifest *m);

#endif

/* The listing of an image, as `romfs ls` prints it and as `build
 * --listing` saves it beside the image: one row per entry, as text or as
 * JSON, printed from whatever knows the entries (a walk of an image, or
 * the layout the build just wrote). */
#ifndef ROMFS_INSPECT_LISTING_H
#define ROMFS_INSPECT_LISTING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "inspect/image_check.h"
#include "inspect/image_file.h"

typedef struct {
    const char *path; /* '/'-joined, no trailing '/' */
    size_t path_len;
    bool is_dir;
    uint64_t size, offset; /* a file's data */
    unsigned need;         /* the alignment its rules ask for */
    const uint8_t *head;   /* a .mpy file's first bytes (MPY_HEADER_LEN), or NULL */
} listing_row;

typedef struct {
    FILE *out;
    bool json;
    int width; /* of the path column */
    bool first;
} listing_printer;

/* `widest`: the longest path (a directory's counted with its '/'). */
void listing_begin(listing_printer *p, FILE *out, bool json, size_t widest, uint64_t image_size);
/* The same for an image found in a flash file of `format` ("hex"; NULL:
 * none) at `address`: a first line says so (JSON: "format", "address"). */
void listing_begin_at(listing_printer *p, FILE *out, bool json, size_t widest, uint64_t image_size,
                      const char *format, uint64_t address);
void listing_print_row(listing_printer *p, const listing_row *r);
void listing_end(listing_printer *p);

/* Prints every entry of `f`, each file's needed alignment from `policy`;
 * on a structural fault prints what came before it, reports the fault and
 * returns -1. */
int listing_print(FILE *out, const image_file *f, bool json, const align_policy *policy);

#endif

/*
 * libFuzzer target: the runtime reader (runtime/src/reader.c) on arbitrary
 * bytes, the way firmware uses it: romfs_open, a walk of every directory,
 * and romfs_lookup of paths the walk found plus a few fixed and
 * input-derived ones.
 *
 * The reader promises never to read outside [image, image + length) and to
 * hand out only pointers into the image; AddressSanitizer checks the first
 * (the input is copied into a heap block of exactly its size, so one byte
 * too far is a report), CHECK() below the second, and the entry counts the
 * linear bound on the reader's work.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "romfs/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    MAX_LOOKUPS = 256, /* lookups are linear each, so keep the whole run near-linear */
    MAX_PATH_BYTES = 1 << 16,
    MIN_ENTRY_BYTES = 3, /* kind, length and name length: one byte each at the least */
};

/* Compared as integers: the pointers under test may be wild, and
 * relational operators between pointers into different objects are
 * undefined. */
static int inside(const void *p, size_t n, const void *lo, const void *hi) {
    uintptr_t a = (uintptr_t)p, l = (uintptr_t)lo, h = (uintptr_t)hi;
    return a >= l && a <= h && n <= h - a;
}

typedef struct {
    romfs_dir it;
    size_t path_len; /* of the directory's own path, to cut back to */
    int named;       /* that path fitted in the buffer: its children can be remembered */
    int clean;       /* every name on the path is non-empty and has no '/' */
} frame;

/* The paths the walk found, NUL-separated, for the lookups afterwards. */
typedef struct {
    char *buf;
    size_t len;
    size_t n;
    size_t offset[MAX_LOOKUPS]; /* of each path in buf */
    size_t path_len[MAX_LOOKUPS];
    size_t record[MAX_LOOKUPS]; /* record_offset the walk saw */
    romfs_type type[MAX_LOOKUPS];
    int clean[MAX_LOOKUPS];
} found_paths;

static void check_entry(const romfs_image *img, const uint8_t *rec_lo, const uint8_t *rec_hi,
                        const romfs_entry *e) {
    const uint8_t *start = img->start;
    const uint8_t *payload_end = img->payload + img->payload_len;
    CHECK(e->type == ROMFS_TYPE_FILE || e->type == ROMFS_TYPE_DIR);
    /* The record lies between where readdir started and where it stopped;
     * its name and (for directories and verbatim data) its contents lie
     * inside that record. */
    CHECK(e->record_offset < img->size);
    CHECK(inside(start + e->record_offset, 0, rec_lo, rec_hi));
    const uint8_t *rec = start + e->record_offset;
    CHECK(inside(e->name, e->name_len, rec, rec_hi));
    CHECK(e->name > rec);
    if (e->type == ROMFS_TYPE_DIR) {
        CHECK(e->data == e->name + e->name_len);
        CHECK(inside(e->data, e->size, rec, rec_hi));
        CHECK(e->data + e->size == rec_hi);
        CHECK(e->indirect == 0);
    } else if (e->indirect) {
        CHECK(e->indirect == 1);
        CHECK(inside(e->data, e->size, img->payload, payload_end));
    } else {
        CHECK(inside(e->data, e->size, e->name + e->name_len, rec_hi));
    }
}

static void remember(found_paths *fp, const char *path, size_t len, const romfs_entry *e,
                     int clean) {
    if (fp->n == MAX_LOOKUPS || fp->len + len + 1 > MAX_PATH_BYTES) {
        return;
    }
    memcpy(fp->buf + fp->len, path, len);
    fp->buf[fp->len + len] = '\0';
    fp->offset[fp->n] = fp->len;
    fp->path_len[fp->n] = len;
    fp->record[fp->n] = e->record_offset;
    fp->type[fp->n] = e->type;
    fp->clean[fp->n] = clean;
    fp->len += len + 1;
    fp->n++;
}

/* Depth first, with the stack on the heap and sized by the image: every
 * level of nesting costs at least MIN_ENTRY_BYTES, so a walk that needs
 * more frames than that allows has been handed a directory that did not
 * advance. */
static void walk(const romfs_image *img, found_paths *fp) {
    size_t cap = img->payload_len / MIN_ENTRY_BYTES + 2;
    frame *stack = malloc(cap * sizeof *stack);
    char *path = malloc(MAX_PATH_BYTES);
    CHECK(stack != NULL && path != NULL);
    size_t depth = 1, entries = 0, calls = 0;
    romfs_opendir_root(img, &stack[0].it);
    stack[0].path_len = 0;
    stack[0].named = 1;
    stack[0].clean = 1;
    while (depth > 0) {
        frame *top = &stack[depth - 1];
        const uint8_t *before = top->it.pos;
        const uint8_t *dir_end = top->it.end;
        CHECK(inside(before, (size_t)(dir_end - before), img->payload,
                     img->payload + img->payload_len));
        romfs_entry e;
        int r = romfs_readdir(&top->it, &e);
        calls++;
        if (r == 0) {
            CHECK(romfs_readdir(&top->it, &e) == 0); /* stays at its end */
            depth--;
            continue;
        }
        if (r < 0) {
            CHECK(r == ROMFS_E_CORRUPT);
            CHECK(top->it.fault != NULL);
            /* Strictly inside the image would be better; see the
             * "no data record" case in tests/unit/test_reader.c. */
            CHECK(top->it.fault_offset <= img->size);
            CHECK(romfs_readdir(&top->it, &e) == 0);
            break;
        }
        CHECK(r == 1);
        entries++;
        CHECK(entries * MIN_ENTRY_BYTES <= img->payload_len);
        check_entry(img, before, top->it.pos, &e);
        /* Any later entry starts after this one's record. */
        CHECK(top->it.pos > before && top->it.pos <= dir_end);

        size_t base = top->path_len;
        int clean = top->clean && e.name_len > 0 && memchr(e.name, '/', e.name_len) == NULL;
        size_t path_len = 0;
        int named = top->named && base + 1 + e.name_len < MAX_PATH_BYTES;
        if (named) {
            path_len = base;
            if (base > 0) {
                path[path_len++] = '/';
            }
            memcpy(path + path_len, e.name, e.name_len);
            path_len += e.name_len;
            remember(fp, path, path_len, &e, clean);
        }

        romfs_dir sub;
        if (e.type == ROMFS_TYPE_FILE) {
            CHECK(romfs_opendir(img, &e, &sub) == ROMFS_E_NOT_DIR);
            continue;
        }
        CHECK(depth < cap);
        frame *f = &stack[depth++];
        CHECK(romfs_opendir(img, &e, &f->it) == ROMFS_OK);
        CHECK(f->it.pos == e.data && f->it.end == e.data + e.size);
        f->path_len = named ? path_len : 0;
        f->named = named;
        f->clean = clean;
    }
    /* One call per entry, one per directory to see its end. */
    CHECK(calls <= 2 * entries + 1);
    free(path);
    free(stack);
}

static void check_lookup(const romfs_image *img, const char *path, size_t len, romfs_status st,
                         const romfs_entry *e) {
    (void)path;
    (void)len;
    CHECK(st == ROMFS_OK || st == ROMFS_E_CORRUPT || st == ROMFS_E_NOT_FOUND ||
          st == ROMFS_E_NOT_DIR);
    if (st != ROMFS_OK) {
        return;
    }
    const uint8_t *lo = img->payload, *hi = img->payload + img->payload_len;
    CHECK(e->type == ROMFS_TYPE_FILE || e->type == ROMFS_TYPE_DIR);
    CHECK(inside(e->name, e->name_len, lo, hi));
    CHECK(inside(e->data, e->size, lo, hi));
    CHECK(e->record_offset < img->size);
}

static romfs_status lookup(const romfs_image *img, const char *path, size_t len, romfs_entry *e) {
    /* A copy of exactly the path's size, so a read past its end is caught
     * as surely as one past the image. */
    char *copy = malloc(len ? len : 1);
    CHECK(copy != NULL);
    memcpy(copy, path, len);
    romfs_status st = romfs_lookup(img, copy, len, e);
    check_lookup(img, copy, len, st, e);
    free(copy);
    return st;
}

static void lookups(const romfs_image *img, const found_paths *fp, const uint8_t *data,
                    size_t size) {
    romfs_entry e, e2;
    /* The root, however it is spelt. */
    static const char *const roots[] = {"", "/"};
    for (size_t i = 0; i < 2; i++) {
        CHECK(lookup(img, roots[i], strlen(roots[i]), &e) == ROMFS_OK);
        CHECK(e.type == ROMFS_TYPE_DIR && e.data == img->payload && e.size == img->payload_len);
    }
    static const char *const fixed[] = {"a",          "lib",          "lib/a.py",
                                        "//",         "a//b",         "a/",
                                        "/a/b/c",     "model.tflite", "templates/index.html",
                                        "\xff/\x00/x"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        lookup(img, fixed[i], strlen(fixed[i]), &e);
    }
    /* The input's last bytes as a path: names the fuzzer has written into
     * the image tend to turn up there too. */
    size_t tail = size < 32 ? size : 32;
    lookup(img, (const char *)data + size - tail, tail, &e);

    char *slashed = malloc(MAX_PATH_BYTES + 8);
    CHECK(slashed != NULL);
    for (size_t i = 0; i < fp->n; i++) {
        const char *p = fp->buf + fp->offset[i];
        size_t len = fp->path_len[i];
        romfs_status st = lookup(img, p, len, &e);
        if (len == 0 || p[0] != '/') { /* one leading '/' changes nothing */
            slashed[0] = '/';
            memcpy(slashed + 1, p, len);
            romfs_status st2 = lookup(img, slashed, len + 1, &e2);
            CHECK(st == st2);
            if (st == ROMFS_OK) {
                CHECK(e.record_offset == e2.record_offset && e.data == e2.data &&
                      e.size == e2.size);
            }
        }
        if (!fp->clean[i]) {
            continue;
        }
        /* Every part of a path the walk found was read without fault by the
         * walk, up to and including the entry, and the first match wins:
         * the lookup finds this entry or an earlier one of the same name,
         * or an earlier namesake that is a file or lacks the rest. */
        CHECK(st == ROMFS_OK || st == ROMFS_E_NOT_DIR || st == ROMFS_E_NOT_FOUND);
        if (st == ROMFS_OK) {
            CHECK(e.record_offset <= fp->record[i]);
        }
        if (st == ROMFS_OK && e.record_offset == fp->record[i]) {
            CHECK(e.type == fp->type[i]);
        }
        /* One more part below a file is never found. */
        if (st == ROMFS_OK && e.type == ROMFS_TYPE_FILE && len + 2 <= MAX_PATH_BYTES) {
            memcpy(slashed, p, len);
            memcpy(slashed + len, "/x", 2);
            CHECK(lookup(img, slashed, len + 2, &e2) == ROMFS_E_NOT_DIR);
        }
    }
    free(slashed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) {
        /* The empty input stands for an absent partition, which firmware
         * describes as a null start and a size of 0. */
        romfs_image img;
        CHECK(romfs_open(&img, NULL, 0) == ROMFS_E_NOT_IMAGE);
        return 0;
    }
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    if (size > 0) {
        memcpy(copy, data, size);
    }
    romfs_image img;
    romfs_status st = romfs_open(&img, copy, size);
    CHECK(st == ROMFS_OK || st == ROMFS_E_NOT_IMAGE);
    if (st == ROMFS_OK) {
        CHECK(img.start == copy);
        CHECK(img.size >= 4 && img.size <= size);
        CHECK(inside(img.payload, img.payload_len, copy, copy + size));
        CHECK(img.payload + img.payload_len == copy + img.size);
        found_paths fp;
        fp.buf = malloc(MAX_PATH_BYTES);
        CHECK(fp.buf != NULL);
        fp.len = 0;
        fp.n = 0;
        walk(&img, &fp);
        lookups(&img, &fp, copy, size);
        free(fp.buf);
    }
    free(copy);
    return 0;
}

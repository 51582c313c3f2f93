/*
 * libFuzzer target: the runtime reader (runtime/src/reader.c) on arbitrary
 * bytes, the way firmware uses it: romfs_open, a walk of every directory
 * with romfs_dir_next, the same walk with romfs_walk in step (its stack
 * and path buffer starting tiny and grown whenever it runs out), a walk
 * with a fixed stack and buffer that skips what does not fit, and the four
 * lookups of paths the walk found plus a few fixed and input-derived ones.
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
    /* The record lies between where romfs_dir_next started and where it
     * stopped; its name and (for directories and verbatim data) its
     * contents lie inside that record. */
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

/* romfs_walk, in step with walk() below: two frames and one byte of path
 * to start with, grown (moved by realloc) each time it runs out. */
typedef struct {
    romfs_walk w;
    romfs_walk_frame *stack;
    size_t cap;
    char *path;
    size_t path_cap;
    size_t grows;
} grown_walk;

static romfs_status grown_next(grown_walk *g, romfs_entry *e, size_t *depth) {
    for (;;) {
        romfs_status st = romfs_walk_next(&g->w, e, depth);
        if (st == ROMFS_E_TOO_DEEP) {
            CHECK(g->w.depth == g->cap);
            g->cap *= 2;
            g->stack = realloc(g->stack, g->cap * sizeof *g->stack);
            CHECK(g->stack != NULL);
        } else if (st == ROMFS_E_PATH_TOO_LONG) {
            CHECK(g->w.path_need > g->path_cap && g->w.path_len < g->path_cap);
            CHECK(g->w.path[g->w.path_len] == '\0');
            g->path_cap = g->w.path_need * 2;
            g->path = realloc(g->path, g->path_cap);
            CHECK(g->path != NULL);
        } else {
            return st;
        }
        g->grows++;
        CHECK(romfs_walk_grow(&g->w, g->stack, g->cap, g->path, g->path_cap) == ROMFS_OK);
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
    CHECK(romfs_opendir_root(img, &stack[0].it) == ROMFS_OK);
    stack[0].path_len = 0;
    stack[0].named = 1;
    stack[0].clean = 1;
    grown_walk g = {.cap = 2, .path_cap = 1, .grows = 0};
    g.stack = malloc(g.cap * sizeof *g.stack);
    g.path = malloc(g.path_cap);
    CHECK(g.stack != NULL && g.path != NULL);
    CHECK(romfs_walk_init(&g.w, img, g.stack, g.cap, g.path, g.path_cap) == ROMFS_OK);
    romfs_entry ge;
    size_t gdepth;
    romfs_status gst;
    while (depth > 0) {
        frame *top = &stack[depth - 1];
        const uint8_t *before = top->it.pos;
        const uint8_t *dir_end = top->it.end;
        CHECK(inside(before, (size_t)(dir_end - before), img->payload,
                     img->payload + img->payload_len));
        romfs_entry e;
        romfs_status r = romfs_dir_next(&top->it, &e);
        calls++;
        if (r == ROMFS_END) {
            CHECK(romfs_dir_next(&top->it, &e) == ROMFS_END); /* stays at its end */
            depth--;
            continue;
        }
        if (r != ROMFS_OK) {
            CHECK(r == ROMFS_E_CORRUPT);
            CHECK(top->it.fault != NULL);
            /* Strictly inside the image would be better; see the
             * "no data record" case in tests/unit/test_reader.c. */
            CHECK(top->it.fault_offset <= img->size);
            CHECK(romfs_dir_next(&top->it, &e) == ROMFS_END);
            /* The walk stops at the same fault, named by its directory
             * when that path was kept here. */
            gst = grown_next(&g, &ge, &gdepth);
            CHECK(gst == ROMFS_E_CORRUPT && g.w.depth == 0);
            CHECK(g.w.fault_offset == top->it.fault_offset && g.w.fault == top->it.fault);
            CHECK(g.w.path[g.w.path_len] == '\0');
            if (top->named) {
                CHECK(g.w.path_len == top->path_len && memcmp(g.w.path, path, top->path_len) == 0);
            }
            break;
        }
        entries++;
        /* The same entry from the walk, at the same depth. */
        gst = grown_next(&g, &ge, &gdepth);
        CHECK(gst == ROMFS_OK);
        CHECK(ge.record_offset == e.record_offset && ge.type == e.type && ge.data == e.data &&
              ge.size == e.size && ge.name == e.name && ge.name_len == e.name_len);
        CHECK(gdepth == depth - 1 && g.w.depth == depth);
        CHECK(g.w.path_len >= e.name_len && g.w.path[g.w.path_len] == '\0');
        CHECK(memcmp(g.w.path + g.w.path_len - e.name_len, e.name, e.name_len) == 0);
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
            CHECK(g.w.path_len == path_len && memcmp(g.w.path, path, path_len) == 0);
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
    if (depth == 0) {
        CHECK(grown_next(&g, &ge, &gdepth) == ROMFS_END);
        CHECK(g.w.depth == 0 && g.w.path_len == 0 && g.w.path[0] == '\0');
    }
    CHECK(grown_next(&g, &ge, &gdepth) == ROMFS_END); /* over, after the end or a fault */
    /* Doubling: a logarithmic number of growths of each. */
    CHECK(g.grows <= 2 * (sizeof(size_t) * 8));
    free(g.stack);
    free(g.path);
    free(path);
    free(stack);
}

/* A walk as firmware has it: four frames, 16 bytes of path, and whatever
 * does not fit passed by. It must end, after no more entries than the
 * image holds, each inside the image and within its frames and buffer. */
static void fixed_walk(const romfs_image *img) {
    romfs_walk_frame stack[4];
    char path[16 + 8];
    memset(path, 0x5a, sizeof path);
    romfs_walk w;
    CHECK(romfs_walk_init(&w, img, stack, 4, path, 16) == ROMFS_OK);
    romfs_entry e;
    size_t depth, entries = 0, deep_skips = 0, long_skips = 0;
    romfs_status st;
    while ((st = romfs_walk_next(&w, &e, &depth)) != ROMFS_END) {
        /* Each skip passes by a directory already returned, or an entry
         * read but not returned: either way, bytes of the image. */
        if (st == ROMFS_E_TOO_DEEP) {
            CHECK(w.depth == 4 && ++deep_skips <= entries);
            CHECK(romfs_walk_skip(&w) == ROMFS_OK);
            continue;
        }
        if (st == ROMFS_E_PATH_TOO_LONG) {
            CHECK(w.path_need > 16 && w.path_len < 16 && w.path[w.path_len] == '\0');
            CHECK(++long_skips * MIN_ENTRY_BYTES <= img->payload_len);
            CHECK(romfs_walk_skip(&w) == ROMFS_OK);
            continue;
        }
        if (st == ROMFS_E_CORRUPT) {
            CHECK(w.fault != NULL && w.depth == 0);
            CHECK(romfs_walk_next(&w, &e, &depth) == ROMFS_END);
            break;
        }
        CHECK(st == ROMFS_OK);
        entries++;
        CHECK((entries + long_skips) * MIN_ENTRY_BYTES <= img->payload_len);
        CHECK(depth < 4 && w.depth == depth + 1);
        CHECK(w.path_len < 16 && w.path[w.path_len] == '\0');
        CHECK(inside(e.data, e.size, img->payload, img->payload + img->payload_len));
    }
    for (size_t i = 16; i < sizeof path; i++) {
        CHECK(path[i] == 0x5a);
    }
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

static int same_entry(const romfs_entry *a, const romfs_entry *b) {
    return a->type == b->type && a->name == b->name && a->name_len == b->name_len &&
           a->data == b->data && a->size == b->size && a->record_offset == b->record_offset &&
           a->indirect == b->indirect;
}

static romfs_status lookup(const romfs_image *img, const char *path, size_t len, romfs_entry *e) {
    /* A copy of exactly the path's size, so a read past its end is caught
     * as surely as one past the image. */
    char *copy = malloc(len ? len : 1);
    CHECK(copy != NULL);
    memcpy(copy, path, len);
    romfs_status st = romfs_lookup(img, copy, len, e);
    check_lookup(img, copy, len, st, e);
    /* The file form: the same, but a directory is refused. */
    romfs_entry f;
    romfs_status fst = romfs_lookup_file(img, copy, len, &f);
    if (st == ROMFS_OK && e->type == ROMFS_TYPE_DIR) {
        CHECK(fst == ROMFS_E_IS_DIR);
    } else {
        CHECK(fst == st && (st != ROMFS_OK || same_entry(&f, e)));
    }
    free(copy);
    /* The NUL-terminated forms, on a path without a NUL inside. */
    if (memchr(path, '\0', len) == NULL) {
        char *z = malloc(len + 1);
        CHECK(z != NULL);
        memcpy(z, path, len);
        z[len] = '\0';
        CHECK(romfs_find(img, z, &f) == st && (st != ROMFS_OK || same_entry(&f, e)));
        CHECK(romfs_find_file(img, z, &f) == fst);
        free(z);
    }
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
        fixed_walk(&img);
        lookups(&img, &fp, copy, size);
        free(fp.buf);
    }
    free(copy);
    return 0;
}

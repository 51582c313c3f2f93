/*
 * The reader's guarantees (runtime/include/romfs/reader.h), each as cases
 * that fail when the guarantee breaks:
 *
 * - it never reads outside [image, image + length), nor outside a path it
 *   is given: every image is placed twice, once ending on the last byte
 *   of a readable page with a PROT_NONE page after it, once starting on
 *   the first byte of a page with a PROT_NONE page before it, and every
 *   path looked up ends (its NUL, or its last byte when counted) just
 *   before such a page, so a stray read faults at once;
 * - it ends on every input in time linear in its length, without
 *   recursion: 100,000 nested directories walked and looked up on a
 *   thread whose stack is far too small for recursion, calls counted
 *   exactly, and the time per byte compared with a small image;
 * - it rejects what it cannot read exactly, with a fault offset inside
 *   the faulty record, rather than guess;
 * - the four lookups agree, the _file ones refusing directories, and a
 *   failed one leaves its entry alone;
 * - romfs_walk sees what a walk built on romfs_dir_next sees, entry for
 *   entry, with the same paths and the same fault, on every image here,
 *   while its stack and path buffer start at one frame and one byte and
 *   move each time it runs out; it keeps its place when it runs out,
 *   passes by what it is told to skip, never writes past its buffer, and
 *   refuses a stack or buffer that cannot hold it.
 *
 * Images are built here byte by byte (docs/format.md), never by the
 * packer, so the reader is judged against the format rather than against
 * the tool's own writer.
 */
/* MAP_ANONYMOUS is not in POSIX 2008; sigaltstack and SA_ONSTACK are XSI. */
#define _DEFAULT_SOURCE
#define _XOPEN_SOURCE 700

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "romfs/reader.h"

static int failures, checks;
static const char *volatile current_case = "setup";

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            printf("FAIL: %s: %s (line %d): ", current_case, #cond, __LINE__);                     \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        printf("FAIL: out of memory\n");
        exit(1);
    }
    return p;
}

static void *xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        printf("FAIL: out of memory\n");
        exit(1);
    }
    return q;
}

/* ---- Building images ------------------------------------------------ */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} bytes;

static void put(bytes *b, const void *d, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = xrealloc(b->p, b->cap);
    }
    if (n > 0) {
        memcpy(b->p + b->len, d, n);
    }
    b->len += n;
}

static size_t uint_len(size_t v) {
    size_t n = 1;
    while (v >>= 7) {
        n++;
    }
    return n;
}

/* A varuint, most significant group first, after `pad` 0x80 bytes. */
static void put_uint(bytes *b, size_t v, size_t pad) {
    for (size_t i = 0; i < pad; i++) {
        put(b, "\x80", 1);
    }
    uint8_t tmp[10];
    size_t n = uint_len(v);
    for (size_t i = n; i-- > 0;) {
        tmp[i] = (uint8_t)((v & 0x7f) | (i + 1 < n ? 0x80 : 0));
        v >>= 7;
    }
    put(b, tmp, n);
}

/* The builders below take ownership of the bytes they are given. */
static bytes none(void) {
    bytes b = {NULL, 0, 0};
    return b;
}

static bytes raw(const void *d, size_t n) {
    bytes b = none();
    put(&b, d, n);
    return b;
}

static bytes str(const char *s) {
    return raw(s, strlen(s));
}

static bytes cat(size_t n, ...) {
    bytes out = none();
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        bytes b = va_arg(ap, bytes);
        put(&out, b.p, b.len);
        free(b.p);
    }
    va_end(ap);
    return out;
}

static bytes varuint(size_t v, size_t pad) {
    bytes b = none();
    put_uint(&b, v, pad);
    return b;
}

/* kind, length (with `len_pad` padding bytes), payload. */
static bytes record_p(size_t kind, size_t len_pad, bytes payload) {
    bytes r = none();
    put_uint(&r, kind, 0);
    put_uint(&r, payload.len, len_pad);
    return cat(2, r, payload);
}

static bytes record(size_t kind, bytes payload) {
    return record_p(kind, 0, payload);
}

static bytes entry(size_t kind, const char *name, bytes body) {
    bytes r = none();
    put_uint(&r, strlen(name), 0);
    put(&r, name, strlen(name));
    return record(kind, cat(2, r, body));
}

static bytes file(const char *name, const char *data) {
    return entry(ROMFS_KIND_FILE, name, record(ROMFS_KIND_DATA, str(data)));
}

static bytes dir(const char *name, bytes body) {
    return entry(ROMFS_KIND_DIR, name, body);
}

static size_t header_len(size_t payload_len) {
    return 3 + uint_len(payload_len);
}

static bytes image(bytes payload) {
    bytes h = raw("\xd2\xcd\x31", 3);
    put_uint(&h, payload.len, 0);
    return cat(2, h, payload);
}

/* `depth` directories named "d", each inside the one before, the
 * innermost holding `inner`. A directory's length covers everything
 * nested in it, so the bytes are written from the inside out, back to
 * front. With `overrun`, the innermost directory claims one byte more
 * than its parent holds. */
static bytes nest(size_t depth, bytes inner, int overrun) {
    size_t cap = inner.len + depth * 16 + 16;
    uint8_t *buf = xmalloc(cap);
    size_t at = cap - inner.len;
    if (inner.len > 0) {
        memcpy(buf + at, inner.p, inner.len);
    }
    for (size_t i = 0; i < depth; i++) {
        size_t len = (cap - at) + 2 + (i == 0 && overrun);
        buf[--at] = 'd';
        buf[--at] = 1;
        for (size_t v = len, first = 1; first || v > 0; v >>= 7, first = 0) {
            buf[--at] = (uint8_t)((v & 0x7f) | (first ? 0 : 0x80));
        }
        buf[--at] = ROMFS_KIND_DIR;
    }
    bytes b = raw(buf + at, cap - at);
    free(buf);
    free(inner.p);
    return b;
}

/* ---- Placing images against PROT_NONE pages --------------------------- */

typedef struct {
    uint8_t *map;
    size_t map_len;
    const uint8_t *at;
} guarded;

enum { AT_END, AT_START };

/* A copy of `b` that ends where an inaccessible page starts (AT_END) or
 * starts where one ends (AT_START). */
static const uint8_t *place(guarded *g, const bytes *b, int where) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (b->len + page - 1) / page + 1;
    g->map_len = (data_pages + 2) * page;
    void *m = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        printf("FAIL: mmap\n");
        exit(1);
    }
    g->map = m;
    uint8_t *first = g->map + page, *after = g->map + (data_pages + 1) * page;
    uint8_t *dst = where == AT_END ? after - b->len : first;
    if (b->len > 0) {
        memcpy(dst, b->p, b->len);
    }
    if (mprotect(g->map, page, PROT_NONE) != 0 || mprotect(after, page, PROT_NONE) != 0 ||
        mprotect(first, data_pages * page, PROT_READ) != 0) {
        printf("FAIL: mprotect\n");
        exit(1);
    }
    g->at = dst;
    return dst;
}

static void unplace(guarded *g) {
    munmap(g->map, g->map_len);
}

/* A read of a PROT_NONE page lands here: name the case, then let the
 * fault happen again under the previous handler (the default one, or a
 * sanitizer's with its report). */
static struct sigaction previous[2];

static void on_fault(int sig) {
    static const char msg[] = "FAIL: memory fault (a read outside the image, or a stack "
                              "overflow) in case: ";
    const char *name = current_case;
    ssize_t ignored = write(1, msg, sizeof msg - 1);
    ignored = write(1, name, strlen(name));
    ignored = write(1, "\n", 1);
    (void)ignored;
    sigaction(sig, &previous[sig == SIGSEGV ? 0 : 1], NULL);
}

/* ---- Walking and looking up, with every pointer checked ----------------- */

/* Paths in messages: the start of them is enough. */
#define SHOWN(len) ((int)((len) < 60 ? (len) : 60))

static int inside(const void *p, size_t n, const void *lo, const void *hi) {
    uintptr_t a = (uintptr_t)p, l = (uintptr_t)lo, h = (uintptr_t)hi;
    return a >= l && a <= h && n <= h - a;
}

typedef struct {
    romfs_status open;
    size_t size, payload_offset;
    int walk; /* 0, or ROMFS_E_CORRUPT */
    size_t fault_offset;
    const char *fault;
    size_t entries, files, dirs, calls, max_depth, lookups;
    size_t walk_calls, walk_grows; /* of romfs_walk_next, and how often it ran out */
} result;

typedef struct {
    romfs_dir it;
    size_t path_len; /* in `path`, or MAX_LOOKUP_PATH + 1 when it did not fit */
    size_t full_len; /* of the whole path, kept or not */
} frame;

enum { MAX_LOOKUP_PATH = 1024, MAX_LOOKUPS = 2000 };

/* A romfs_walk that starts with one frame and one byte of path and is
 * grown (moved by realloc) each time it runs out, run in step with the
 * walk below, which is built on romfs_dir_next alone: both must see the
 * same entries in the same order, at the same depths, with the same
 * paths, and stop at the same fault. */
typedef struct {
    romfs_walk w;
    romfs_walk_frame *stack;
    size_t cap;
    char *path;
    size_t path_cap;
} grown_walk;

static void grown_begin(grown_walk *g, const romfs_image *img) {
    g->cap = 1;
    g->stack = xmalloc(g->cap * sizeof *g->stack);
    g->path_cap = 1;
    g->path = xmalloc(g->path_cap);
    EXPECT(romfs_walk_init(&g->w, img, g->stack, g->cap, g->path, g->path_cap) == ROMFS_OK,
           "walk init");
}

static void grown_end(grown_walk *g) {
    free(g->stack);
    free(g->path);
}

/* romfs_walk_next, growing the stack or the path as often as it asks. */
static romfs_status grown_next(grown_walk *g, romfs_entry *e, size_t *depth, result *r) {
    for (;;) {
        romfs_status st = romfs_walk_next(&g->w, e, depth);
        r->walk_calls++;
        if (st == ROMFS_E_TOO_DEEP) {
            EXPECT(g->w.depth == g->cap, "too deep with %zu of %zu frames in use", g->w.depth,
                   g->cap);
            g->cap *= 2;
            g->stack = xrealloc(g->stack, g->cap * sizeof *g->stack);
        } else if (st == ROMFS_E_PATH_TOO_LONG) {
            EXPECT(g->w.path_need > g->path_cap, "path too long for %zu bytes, needs %zu",
                   g->path_cap, g->w.path_need);
            g->path_cap = g->w.path_need * 2;
            g->path = xrealloc(g->path, g->path_cap);
        } else {
            return st;
        }
        r->walk_grows++;
        EXPECT(romfs_walk_grow(&g->w, g->stack, g->cap, g->path, g->path_cap) == ROMFS_OK,
               "walk grow");
    }
}

/* The walk's next entry must be `want`, at `depth`, with the path
 * `path` (`kept` bytes of it known) of `full_len` bytes. */
static void expect_walked(grown_walk *g, const romfs_entry *want, size_t depth, const char *path,
                          int kept, size_t full_len, result *r) {
    romfs_entry e;
    size_t d = (size_t)-1;
    romfs_status st = grown_next(g, &e, &d, r);
    EXPECT(st == ROMFS_OK, "the walk gave %s where romfs_dir_next gave an entry",
           romfs_strerror(st));
    if (st != ROMFS_OK) {
        return;
    }
    EXPECT(e.record_offset == want->record_offset && e.type == want->type && e.data == want->data &&
               e.size == want->size && e.name == want->name && e.name_len == want->name_len &&
               e.indirect == want->indirect,
           "the walk gave the record at %zu where romfs_dir_next gave the one at %zu",
           e.record_offset, want->record_offset);
    EXPECT(d == depth && g->w.depth == depth + 1, "walk depth %zu (%zu frames), expected %zu", d,
           g->w.depth, depth);
    EXPECT(g->w.path == g->path && g->w.path_len == full_len && g->w.path[full_len] == '\0',
           "walk path of %zu bytes, expected %zu", g->w.path_len, full_len);
    if (g->w.path_len != full_len) {
        return;
    }
    /* The name at the end, after a '/' unless it is the whole path; the
     * whole path when the other walk kept it. */
    size_t at = full_len - want->name_len;
    EXPECT(memcmp(g->w.path + at, want->name, want->name_len) == 0 &&
               (at == 0 || g->w.path[at - 1] == '/'),
           "walk path ends in '%.*s'", SHOWN(full_len), g->w.path);
    if (kept) {
        EXPECT(memcmp(g->w.path, path, full_len) == 0, "walk path '%.*s', expected '%.*s'",
               SHOWN(full_len), g->w.path, SHOWN(full_len), path);
    }
}

static void check_lookup_of(const romfs_image *img, const char *path, size_t len,
                            const romfs_entry *walked, result *r) {
    romfs_entry e;
    romfs_status st = romfs_lookup(img, path, len, &e);
    r->lookups++;
    /* The first entry of a name wins: this one, or an earlier namesake. */
    EXPECT(st == ROMFS_OK || st == ROMFS_E_NOT_DIR || st == ROMFS_E_NOT_FOUND,
           "lookup of '%.*s' the walk found: status %d", SHOWN(len), path, (int)st);
    if (st != ROMFS_OK) {
        return;
    }
    EXPECT(e.record_offset <= walked->record_offset, "lookup of '%.*s' found a later record",
           SHOWN(len), path);
    EXPECT(inside(e.data, e.size, img->payload, img->payload + img->payload_len),
           "lookup of '%.*s' returned data outside the payload", SHOWN(len), path);
    if (e.record_offset == walked->record_offset) {
        EXPECT(e.type == walked->type && e.data == walked->data && e.size == walked->size,
               "lookup of '%.*s' disagrees with romfs_dir_next", SHOWN(len), path);
    }
}

/* Opens the image at `p`, walks all of it depth first with an explicit
 * stack and with romfs_walk in step, checks every pointer it is given,
 * and looks up every path the walk found (those short enough to keep). */
static result examine_at(const uint8_t *p, size_t len) {
    result r;
    memset(&r, 0, sizeof r);
    romfs_image img;
    r.open = romfs_open(&img, p, len);
    if (r.open != ROMFS_OK) {
        return r;
    }
    const uint8_t *end = p + len;
    r.size = img.size;
    r.payload_offset = (size_t)(img.payload - p);
    EXPECT(img.start == p && img.size <= len && img.payload + img.payload_len == p + img.size,
           "image bounds");
    size_t cap = 16, depth = 1;
    frame *stack = xmalloc(cap * sizeof *stack);
    char *path = xmalloc(MAX_LOOKUP_PATH + 1);
    EXPECT(romfs_opendir_root(&img, &stack[0].it) == ROMFS_OK, "opendir of the root");
    stack[0].path_len = 0;
    stack[0].full_len = 0;
    grown_walk g;
    grown_begin(&g, &img);
    while (depth > 0) {
        frame *top = &stack[depth - 1];
        const uint8_t *before = top->it.pos;
        romfs_entry e;
        romfs_status rc = romfs_dir_next(&top->it, &e);
        r.calls++;
        if (rc == ROMFS_END) {
            EXPECT(romfs_dir_next(&top->it, &e) == ROMFS_END, "the end stays the end");
            depth--;
            continue;
        }
        if (rc != ROMFS_OK) {
            r.walk = rc;
            r.fault_offset = top->it.fault_offset;
            r.fault = top->it.fault;
            EXPECT(rc == ROMFS_E_CORRUPT && r.fault != NULL, "romfs_dir_next fault");
            EXPECT(romfs_dir_next(&top->it, &e) == ROMFS_END,
                   "the iterator stays at its end after a fault");
            break;
        }
        r.entries++;
        const uint8_t *rec = p + e.record_offset;
        EXPECT(inside(rec, 0, before, top->it.pos) && rec < top->it.pos,
               "record offset %zu outside what romfs_dir_next passed", e.record_offset);
        EXPECT(inside(e.name, e.name_len, rec, top->it.pos), "name outside its record");
        if (e.type == ROMFS_TYPE_DIR) {
            r.dirs++;
            EXPECT(inside(e.data, e.size, e.name + e.name_len, top->it.pos),
                   "directory contents outside its record");
        } else {
            r.files++;
            EXPECT(e.type == ROMFS_TYPE_FILE, "entry type %d", (int)e.type);
            EXPECT(e.indirect ? inside(e.data, e.size, img.payload, img.payload + img.payload_len)
                              : inside(e.data, e.size, e.name + e.name_len, top->it.pos),
                   "file data outside %s", e.indirect ? "the payload" : "its record");
        }
        EXPECT(inside(e.data, e.size, p, end), "data outside [start, start + len)");

        size_t base = top->path_len, plen = base;
        size_t full = top->full_len + (top->full_len > 0) + e.name_len;
        int keep = base <= MAX_LOOKUP_PATH && base + 1 + e.name_len <= MAX_LOOKUP_PATH;
        if (keep) {
            if (base > 0) {
                path[plen++] = '/';
            }
            memcpy(path + plen, e.name, e.name_len);
            plen += e.name_len;
            if (r.lookups < MAX_LOOKUPS && memchr(e.name, '/', e.name_len) == NULL &&
                e.name_len > 0) {
                check_lookup_of(&img, path, plen, &e, &r);
            }
        }
        expect_walked(&g, &e, depth - 1, path, keep, full, &r);
        if (e.type != ROMFS_TYPE_DIR) {
            romfs_dir sub;
            EXPECT(romfs_opendir(&img, &e, &sub) == ROMFS_E_NOT_DIR, "opendir of a file");
            continue;
        }
        EXPECT(depth <= img.payload_len / 3 + 1, "deeper than the bytes allow");
        if (depth == cap) {
            cap *= 2;
            stack = xrealloc(stack, cap * sizeof *stack);
        }
        frame *f = &stack[depth++];
        EXPECT(romfs_opendir(&img, &e, &f->it) == ROMFS_OK, "opendir of a directory");
        f->path_len = keep ? plen : MAX_LOOKUP_PATH + 1;
        f->full_len = full;
        r.max_depth = depth > r.max_depth ? depth : r.max_depth;
    }
    /* The same end, or the same fault, named by the directory it is in. */
    romfs_entry e;
    romfs_status st = grown_next(&g, &e, NULL, &r);
    if (r.walk == 0) {
        EXPECT(st == ROMFS_END && g.w.path_len == 0 && g.w.path[0] == '\0' && g.w.depth == 0,
               "walk: %s where romfs_dir_next ended", romfs_strerror(st));
    } else {
        size_t dir_len = stack[depth - 1].full_len;
        EXPECT(st == ROMFS_E_CORRUPT && g.w.fault_offset == r.fault_offset &&
                   g.w.fault == r.fault && g.w.path_len == dir_len && g.w.path[dir_len] == '\0' &&
                   g.w.depth == 0,
               "walk: %s at %zu in a %zu-byte path where romfs_dir_next faulted at %zu in %zu",
               romfs_strerror(st), g.w.fault_offset, g.w.path_len, r.fault_offset, dir_len);
    }
    EXPECT(grown_next(&g, &e, NULL, &r) == ROMFS_END, "a walk that ended stays ended");
    grown_end(&g);
    free(path);
    free(stack);
    return r;
}

/* examine_at() with the image against a guard page on either side; both
 * must see the same. */
static result examine(const bytes *b) {
    guarded g;
    result r[2];
    for (int where = AT_END; where <= AT_START; where++) {
        r[where] = examine_at(place(&g, b, where), b->len);
        unplace(&g);
    }
    EXPECT(r[0].open == r[1].open && r[0].walk == r[1].walk &&
               r[0].fault_offset == r[1].fault_offset && r[0].entries == r[1].entries &&
               r[0].calls == r[1].calls && r[0].walk_calls == r[1].walk_calls,
           "the same image read differently at another address");
    return r[0];
}

/* A fault, at an offset inside the faulty record [lo, hi), which lies
 * inside the image. */
static void expect_fault(const result *r, size_t lo, size_t hi) {
    EXPECT(r->open == ROMFS_OK, "open: %d", (int)r->open);
    EXPECT(r->walk == ROMFS_E_CORRUPT, "walk: %d after %zu entries", r->walk, r->entries);
    if (r->walk == ROMFS_E_CORRUPT) {
        EXPECT(r->fault_offset >= lo && r->fault_offset < hi && r->fault_offset < r->size,
               "fault offset %zu ('%s') is not inside the faulty record [%zu, %zu) (image size "
               "%zu)",
               r->fault_offset, r->fault ? r->fault : "?", lo, hi, r->size);
    }
}

static void expect_clean(const result *r, size_t entries) {
    EXPECT(r->open == ROMFS_OK, "open: %d", (int)r->open);
    EXPECT(r->walk == 0, "walk fault at %zu: %s", r->fault_offset, r->fault ? r->fault : "?");
    EXPECT(r->entries == entries, "%zu entries, expected %zu", r->entries, entries);
}

/* Lookups on one placed copy, for cases that check what is found. */
typedef struct {
    guarded g;
    romfs_image img;
} opened;

static void open_placed(opened *o, const bytes *b) {
    const uint8_t *p = place(&o->g, b, AT_END);
    EXPECT(romfs_open(&o->img, p, b->len) == ROMFS_OK, "open");
}

static int same_entry(const romfs_entry *a, const romfs_entry *b) {
    return a->type == b->type && a->name == b->name && a->name_len == b->name_len &&
           a->data == b->data && a->size == b->size && a->record_offset == b->record_offset &&
           a->indirect == b->indirect;
}

/* Bytes no lookup may write over when it fails. */
static void scribble(romfs_entry *e) {
    memset(e, 0xa5, sizeof *e);
}

static int scribbled(const romfs_entry *e) {
    romfs_entry s;
    scribble(&s);
    return memcmp(e, &s, sizeof s) == 0;
}

/* One of the four lookups of `path`: counted, with the path's bytes just
 * before a guard page, or NUL-terminated, with its NUL there; so that a
 * read past the path faults. */
static romfs_status look_as(const opened *o, const char *path, int nul, int file, romfs_entry *e) {
    size_t len = strlen(path);
    bytes b = raw(path, len + (nul != 0));
    guarded g;
    const char *p = (const char *)place(&g, &b, AT_END);
    scribble(e);
    romfs_status st =
        nul ? (file ? romfs_find_file(&o->img, p, e) : romfs_find(&o->img, p, e))
            : (file ? romfs_lookup_file(&o->img, p, len, e) : romfs_lookup(&o->img, p, len, e));
    EXPECT(st == ROMFS_OK || scribbled(e), "a failed lookup of '%.60s' wrote its entry", path);
    unplace(&g);
    free(b.p);
    return st;
}

/* romfs_lookup of `path`, checked against the other three forms: the
 * same answer, except that the _file forms refuse a directory. */
static romfs_status look(const opened *o, const char *path, romfs_entry *e) {
    romfs_status st = look_as(o, path, 0, 0, e);
    int dir = st == ROMFS_OK && e->type == ROMFS_TYPE_DIR;
    for (int nul = 0; nul < 2; nul++) {
        for (int file = 0; file < 2; file++) {
            romfs_entry other;
            romfs_status want = file && dir ? ROMFS_E_IS_DIR : st;
            romfs_status got = look_as(o, path, nul, file, &other);
            EXPECT(got == want && (got != ROMFS_OK || same_entry(&other, e)),
                   "%s of '%.60s': %s, but romfs_lookup: %s%s",
                   nul ? (file ? "romfs_find_file" : "romfs_find")
                       : (file ? "romfs_lookup_file" : "romfs_lookup"),
                   path, romfs_strerror(got), romfs_strerror(st),
                   got == want ? " and another entry" : "");
        }
    }
    return st;
}

static void expect_file(const opened *o, const char *path, const char *data) {
    romfs_entry e;
    romfs_status st = look(o, path, &e);
    EXPECT(st == ROMFS_OK, "lookup '%.60s': %s", path, romfs_strerror(st));
    if (st == ROMFS_OK) {
        EXPECT(e.type == ROMFS_TYPE_FILE && e.size == strlen(data) &&
                   memcmp(e.data, data, e.size) == 0,
               "lookup '%.60s': got %zu bytes '%.*s'", path, e.size, SHOWN(e.size),
               (const char *)e.data);
    }
}

static void expect_status(const opened *o, const char *path, romfs_status want) {
    romfs_entry e;
    romfs_status st = look(o, path, &e);
    EXPECT(st == want, "lookup '%.60s': %s, expected %s", path, romfs_strerror(st),
           romfs_strerror(want));
}

/* ---- Well-formed images ------------------------------------------------- */

static void test_empty(void) {
    current_case = "empty image";
    bytes b = image(none());
    EXPECT(b.len == 4 && memcmp(b.p, "\xd2\xcd\x31\x00", 4) == 0, "d2 cd 31 00");
    result r = examine(&b);
    expect_clean(&r, 0);
    EXPECT(r.calls == 1 && r.size == 4, "%zu calls, size %zu", r.calls, r.size);
    opened o;
    open_placed(&o, &b);
    romfs_entry e;
    EXPECT(look(&o, "", &e) == ROMFS_OK && e.type == ROMFS_TYPE_DIR && e.size == 0, "root");
    EXPECT(look(&o, "/", &e) == ROMFS_OK && e.type == ROMFS_TYPE_DIR && e.size == 0, "root");
    expect_status(&o, "a", ROMFS_E_NOT_FOUND);
    unplace(&o.g);
    free(b.p);
}

static void test_mpremote_layout(void) {
    current_case = "mpremote layout";
    bytes body = cat(3, dir("d", cat(2, dir("e", none()), file("f", "xyz"))), file("readme", "hi"),
                     file("z", ""));
    /* The filesystem length padded with one 0x80 to make the size even. */
    bytes h = raw("\xd2\xcd\x31", 3);
    size_t pad = (3 + uint_len(body.len) + body.len) % 2;
    put_uint(&h, body.len, pad);
    bytes b = cat(2, h, body);
    EXPECT(b.len % 2 == 0, "even size");
    result r = examine(&b);
    expect_clean(&r, 5);
    EXPECT(r.files == 3 && r.dirs == 2 && r.calls == 5 + 3, "%zu files, %zu dirs, %zu calls",
           r.files, r.dirs, r.calls);
    opened o;
    open_placed(&o, &b);
    expect_file(&o, "d/f", "xyz");
    expect_file(&o, "/d/f", "xyz");
    expect_file(&o, "readme", "hi");
    expect_file(&o, "z", "");
    romfs_entry e;
    EXPECT(look(&o, "d", &e) == ROMFS_OK && e.type == ROMFS_TYPE_DIR, "d is a directory");
    EXPECT(look(&o, "d/", &e) == ROMFS_OK && e.type == ROMFS_TYPE_DIR, "d/ is a directory");
    EXPECT(look(&o, "d/e", &e) == ROMFS_OK && e.type == ROMFS_TYPE_DIR && e.size == 0,
           "d/e is an empty directory");
    romfs_dir it;
    EXPECT(romfs_opendir(&o.img, &e, &it) == ROMFS_OK && romfs_dir_next(&it, &e) == ROMFS_END,
           "an empty directory has no entries");
    EXPECT(look(&o, "readme", &e) == ROMFS_OK && romfs_opendir(&o.img, &e, &it) == ROMFS_E_NOT_DIR,
           "opendir of a file");
    expect_status(&o, "d/f/x", ROMFS_E_NOT_DIR);
    expect_status(&o, "readme/", ROMFS_E_NOT_DIR);
    expect_status(&o, "nope", ROMFS_E_NOT_FOUND);
    expect_status(&o, "d/nope", ROMFS_E_NOT_FOUND);
    expect_status(&o, "D/f", ROMFS_E_NOT_FOUND);
    expect_status(&o, "d/e/f", ROMFS_E_NOT_FOUND);
    expect_status(&o, "read", ROMFS_E_NOT_FOUND);
    expect_status(&o, "readme2", ROMFS_E_NOT_FOUND);
    unplace(&o.g);
    free(b.p);
}

static void test_skipped_records(void) {
    current_case = "padding and unknown kinds";
    /* Padding and unknown kinds (one- and multi-byte) between entries and
     * before a file's data, the first data record winning over a second,
     * padded varuints wherever a varuint goes, and the rest of a flash
     * partition after the image. */
    bytes body = cat(6, record(ROMFS_KIND_PADDING, raw("\0\0\0\0\0", 5)),
                     record(0x7f, str("future")), record(0x4000, none()),
                     entry(ROMFS_KIND_FILE, "padded",
                           cat(4, record(ROMFS_KIND_PADDING, none()), record(9, str("?")),
                               record_p(ROMFS_KIND_DATA, 3, str("data")),
                               record(ROMFS_KIND_DATA, str("second")))),
                     entry(ROMFS_KIND_FILE, "both",
                           cat(2, record(ROMFS_KIND_DATA, str("direct")),
                               record(ROMFS_KIND_INDIRECT, cat(2, varuint(1, 0), varuint(0, 0))))),
                     record(ROMFS_KIND_FILESYSTEM, str("a nested filesystem record is unknown")));
    bytes b = cat(2, image(body), raw("\xff\xff\xff\xff\xff\xff\xff", 7));
    result r = examine(&b);
    expect_clean(&r, 2);
    EXPECT(r.size == b.len - 7, "the partition's tail is not part of the image");
    opened o;
    open_placed(&o, &b);
    expect_file(&o, "padded", "data");
    expect_file(&o, "both", "direct");
    unplace(&o.g);
    free(b.p);
}

static size_t measure(bytes b) {
    free(b.p);
    return b.len;
}

/* A varuint of exactly two bytes, so that offsets can be chosen after
 * the records that hold them are laid out. */
static bytes two_byte_uint(size_t v) {
    return varuint(v, 2 - uint_len(v));
}

static void test_indirect(void) {
    current_case = "indirect data";
    /* "self": 05 09 04 's' 'e' 'l' 'f', then its data record at payload
     * offset 7: 03 02 04 07, four bytes pointing at themselves. */
    bytes self = entry(ROMFS_KIND_FILE, "self",
                       record(ROMFS_KIND_INDIRECT, cat(2, varuint(4, 0), varuint(7, 0))));
    EXPECT(self.len == 11 && memcmp(self.p + 7, "\x03\x02\x04\x07", 4) == 0, "layout of self");
    /* "area" points into a padding record at the end, which the walk
     * skips; "end" is empty and points at the payload's very end. */
    size_t area_len =
        measure(entry(ROMFS_KIND_FILE, "area", record(ROMFS_KIND_INDIRECT, raw("\0\0\0\0", 4))));
    size_t end_len =
        measure(entry(ROMFS_KIND_FILE, "end", record(ROMFS_KIND_INDIRECT, raw("\0\0\0", 3))));
    size_t fill = 3;
    size_t area_at = self.len + area_len + end_len + 2 + fill;
    size_t payload_len = area_at + 5;
    bytes area =
        entry(ROMFS_KIND_FILE, "area",
              record(ROMFS_KIND_INDIRECT, cat(2, two_byte_uint(5), two_byte_uint(area_at))));
    bytes end =
        entry(ROMFS_KIND_FILE, "end",
              record(ROMFS_KIND_INDIRECT, cat(2, varuint(0, 0), two_byte_uint(payload_len))));
    bytes pad = record(ROMFS_KIND_PADDING, raw("\0\0\0ABCDE", fill + 5));
    bytes body = cat(4, self, area, end, pad);
    EXPECT(body.len == payload_len, "layout: %zu bytes, expected %zu", body.len, payload_len);
    bytes b = image(body);
    result r = examine(&b);
    expect_clean(&r, 3);
    opened o;
    open_placed(&o, &b);
    romfs_entry e;
    EXPECT(look(&o, "self", &e) == ROMFS_OK && e.indirect && e.size == 4 &&
               e.data == o.img.payload + 7,
           "an indirect record pointing at itself is just data");
    expect_file(&o, "area", "ABCDE");
    EXPECT(look(&o, "end", &e) == ROMFS_OK && e.indirect && e.size == 0 &&
               e.data == o.img.payload + o.img.payload_len,
           "an empty file at the payload's end");
    unplace(&o.g);
    free(b.p);
}

static void test_indirect_outside(void) {
    static const struct {
        const char *name;
        size_t size, offset;
    } cases[] = {
        {"indirect offset past the payload", 0, 40},
        {"indirect data running past the payload", 30, 1},
        {"indirect size + offset wrapping around", SIZE_MAX, 2},
        {"indirect offset + size wrapping around", 2, SIZE_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        current_case = cases[i].name;
        bytes f = entry(ROMFS_KIND_FILE, "f",
                        record(ROMFS_KIND_INDIRECT,
                               cat(2, varuint(cases[i].size, 0), varuint(cases[i].offset, 0))));
        size_t flen = f.len;
        bytes b = image(f);
        result r = examine(&b);
        size_t at = header_len(flen);
        expect_fault(&r, at, at + flen);
        opened o;
        open_placed(&o, &b);
        expect_status(&o, "f", ROMFS_E_CORRUPT);
        unplace(&o.g);
        free(b.p);
    }

    /* Data that ends exactly at the payload's end is fine; one byte more
     * is not. The file record is the whole payload, and its length does
     * not depend on the size written in it (under 128 either way). */
    for (size_t extra = 0; extra < 2; extra++) {
        current_case = extra ? "indirect data one byte past the payload"
                             : "indirect data ending at the payload's end";
        size_t payload_len =
            measure(entry(ROMFS_KIND_FILE, "f", record(ROMFS_KIND_INDIRECT, raw("\0\0", 2))));
        bytes f = entry(ROMFS_KIND_FILE, "f",
                        record(ROMFS_KIND_INDIRECT,
                               cat(2, varuint(payload_len - 1 + extra, 0), varuint(1, 0))));
        EXPECT(f.len == payload_len, "layout");
        bytes b = image(f);
        result r = examine(&b);
        if (extra) {
            expect_fault(&r, 4, 4 + payload_len);
        } else {
            expect_clean(&r, 1);
        }
        free(b.p);
    }
}

/* ---- Varuints ------------------------------------------------------------ */

static void test_long_varuints(void) {
    current_case = "20-byte varuints padded with 0x80";
    /* Every varuint of a file padded to 20 bytes: legal, values small. */
    bytes data = raw("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80"
                     "\x02",
                     20);
    put_uint(&data, 3, 19);
    put(&data, "abc", 3);
    bytes body = varuint(1, 19); /* name length */
    put(&body, "f", 1);
    put(&body, data.p, data.len);
    free(data.p);
    bytes fr = varuint(ROMFS_KIND_FILE, 19);
    put_uint(&fr, body.len, 20 - uint_len(body.len));
    put(&fr, body.p, body.len);
    free(body.p);
    bytes b = raw("\xd2\xcd\x31", 3);
    put_uint(&b, fr.len, 20 - uint_len(fr.len));
    put(&b, fr.p, fr.len);
    free(fr.p);
    result r = examine(&b);
    expect_clean(&r, 1);
    opened o;
    open_placed(&o, &b);
    expect_file(&o, "f", "abc");
    unplace(&o.g);
    free(b.p);

    /* 20 bytes of 0xff never end before they overflow; 19 of 0xff and a
     * 0x7f end but do not fit; 2^64 + 5 would wrap to the kind of a file
     * in a reader that did not check, and 2^64 + 3 to a short length. */
    static const uint8_t ff20[20] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t ff19_7f[20] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    static const uint8_t wrap5[20] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                      0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x05};
    static const uint8_t wrap3[20] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                      0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x03};
    static const struct {
        const char *name;
        const uint8_t *v;
    } bad[] = {{"all-0xff", ff20},
               {"0xff x19 then 0x7f", ff19_7f},
               {"2^64 + 5", wrap5},
               {"2^64 + 3", wrap3}};
    char name[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const uint8_t *v = bad[i].v;
        /* As a record's kind, followed by what would be a valid file. */
        snprintf(name, sizeof name, "%s as a kind", bad[i].name);
        current_case = name;
        bytes k = cat(2, raw(v, 20), raw("\x06\x01\x66\x02\x01\x78\x00", 7));
        size_t klen = k.len;
        b = image(k);
        r = examine(&b);
        expect_fault(&r, header_len(klen), header_len(klen) + klen);
        free(b.p);

        snprintf(name, sizeof name, "%s as a length", bad[i].name);
        current_case = name;
        k = cat(3, raw("\x05", 1), raw(v, 20), raw("\x01\x66\x02\x00", 4));
        klen = k.len;
        b = image(k);
        r = examine(&b);
        expect_fault(&r, header_len(klen), header_len(klen) + klen);
        free(b.p);

        snprintf(name, sizeof name, "%s as a name length", bad[i].name);
        current_case = name;
        k = record(ROMFS_KIND_FILE, cat(2, raw(v, 20), raw("fff\x02\x00", 5)));
        klen = k.len;
        b = image(k);
        r = examine(&b);
        expect_fault(&r, header_len(klen), header_len(klen) + klen);
        free(b.p);

        snprintf(name, sizeof name, "%s as an indirect size and offset", bad[i].name);
        current_case = name;
        for (int which = 0; which < 2; which++) {
            bytes ind =
                which ? cat(2, varuint(0, 0), raw(v, 20)) : cat(2, raw(v, 20), varuint(0, 0));
            k = entry(ROMFS_KIND_FILE, "f", record(ROMFS_KIND_INDIRECT, ind));
            klen = k.len;
            b = image(k);
            r = examine(&b);
            expect_fault(&r, header_len(klen), header_len(klen) + klen);
            free(b.p);
        }

        snprintf(name, sizeof name, "%s as the filesystem length", bad[i].name);
        current_case = name;
        b = cat(3, raw("\xd2\xcd\x31", 3), raw(v, 20), raw("\0\0\0\0\0\0\0\0", 8));
        r = examine(&b);
        EXPECT(r.open == ROMFS_E_NOT_IMAGE, "open: %d", (int)r.open);
        free(b.p);
    }

    current_case = "the largest length that fits";
    bytes k = cat(2, raw("\x05", 1), varuint(SIZE_MAX, 0));
    put(&k, "\x01\x66", 2);
    size_t klen = k.len;
    b = image(k);
    r = examine(&b);
    expect_fault(&r, header_len(klen), header_len(klen) + klen);
    free(b.p);
}

/* ---- Rejections ------------------------------------------------------- */

static void test_not_an_image(void) {
    static const struct {
        const char *name;
        const char *bytes;
        size_t len;
    } cases[] = {
        {"0 bytes", "", 0},
        {"1 byte of the header", "\xd2", 1},
        {"2 bytes of the header", "\xd2\xcd", 2},
        {"the header without a length", "\xd2\xcd\x31", 3},
        {"a length that does not end", "\xd2\xcd\x31\x80", 4},
        {"a length that does not end, longer", "\xd2\xcd\x31\x80\x81\x82", 6},
        {"a length past the end", "\xd2\xcd\x31\x05\x00\x00", 6},
        {"a length one past the end", "\xd2\xcd\x31\x03\x01\x01", 6},
        {"another kind", "\xd2\xcd\x32\x00", 4},
        {"the kind padded", "\x80\xd2\xcd\x31\x00", 5},
        {"a directory record", "\x04\x02\x01\x61", 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        current_case = cases[i].name;
        bytes b = raw(cases[i].bytes, cases[i].len);
        result r = examine(&b);
        EXPECT(r.open == ROMFS_E_NOT_IMAGE, "open: %d", (int)r.open);
        free(b.p);
    }
    /* What firmware passes for a partition it does not have. Computing
     * NULL + 0 is undefined in C, so this case fails under clang's
     * -fsanitize=undefined (pointer-overflow) while the reader does it. */
    current_case = "romfs_open(NULL, 0)";
    romfs_image img;
    EXPECT(romfs_open(&img, NULL, 0) == ROMFS_E_NOT_IMAGE, "no partition: not an image");
}

static void test_kind0(void) {
    current_case = "kind-0 record at the root";
    bytes b = image(cat(2, raw("\x00\x00", 2), file("after", "x")));
    result r = examine(&b);
    expect_fault(&r, 4, 6);
    EXPECT(r.entries == 0, "nothing read past the fault");
    opened o;
    open_placed(&o, &b);
    expect_status(&o, "after", ROMFS_E_CORRUPT);
    unplace(&o.g);
    free(b.p);

    current_case = "kind-0 record after an entry";
    bytes first = file("a", "x");
    size_t at = 4 + first.len;
    b = image(cat(3, first, raw("\x00\x01\x00", 3), file("b", "y")));
    r = examine(&b);
    expect_fault(&r, at, at + 3);
    EXPECT(r.entries == 1, "%zu entries before the fault", r.entries);
    free(b.p);

    current_case = "kind-0 record in a directory";
    b = image(dir("d", cat(2, raw("\x00\x00", 2), file("f", "x"))));
    r = examine(&b);
    expect_fault(&r, 4 + 4, 4 + 6); /* after 04 len 01 'd' */
    free(b.p);

    current_case = "kind-0 record in a file, before its data";
    bytes body = cat(2, raw("\x01\x66", 2), cat(2, raw("\x00\x00", 2), record(2, str("x"))));
    b = image(record(ROMFS_KIND_FILE, body));
    r = examine(&b);
    expect_fault(&r, 4 + 4, 4 + 6);
    opened o2;
    open_placed(&o2, &b);
    expect_status(&o2, "f", ROMFS_E_CORRUPT);
    unplace(&o2.g);
    free(b.p);
}

static void test_no_data(void) {
    /* A file whose records hold no kind-2 or kind-3 record cannot be read;
     * the fault must point into the file's record, even when that record
     * is the last thing in the image. */
    static const struct {
        const char *name;
        int last;
        int children; /* 0: none; 1: padding and an unknown kind */
    } cases[] = {
        {"no data record, last in the image", 1, 0},
        {"no data record, padding only, last in the image", 1, 1},
        {"no data record, before another entry", 0, 0},
        {"no data record, padding only, before another entry", 0, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        current_case = cases[i].name;
        bytes children = cases[i].children
                             ? cat(2, record(ROMFS_KIND_PADDING, str("..")), record(7, none()))
                             : none();
        bytes f = entry(ROMFS_KIND_FILE, "f", children);
        size_t flen = f.len;
        bytes body = cases[i].last ? f : cat(2, f, file("g", "x"));
        size_t blen = body.len;
        bytes b = image(body);
        size_t at = header_len(blen);
        result r = examine(&b);
        expect_fault(&r, at, at + flen);
        opened o;
        open_placed(&o, &b);
        expect_status(&o, "f", ROMFS_E_CORRUPT);
        unplace(&o.g);
        free(b.p);
    }
}

static void test_overruns(void) {
    current_case = "a record longer than its parent";
    bytes first = file("a", "x");
    size_t at = 4 + first.len;
    bytes b = image(cat(2, first, raw("\x05\x7f\x01\x7a", 4)));
    result r = examine(&b);
    expect_fault(&r, at, at + 4);
    EXPECT(r.entries == 1, "%zu entries", r.entries);
    free(b.p);

    current_case = "a data record longer than its file";
    b = image(record(ROMFS_KIND_FILE, raw("\x01\x66\x02\x09xy", 6)));
    r = examine(&b);
    expect_fault(&r, 4, 4 + 8);
    free(b.p);

    current_case = "a name longer than its record";
    b = image(record(ROMFS_KIND_DIR, raw("\x09\x61\x62", 3)));
    r = examine(&b);
    expect_fault(&r, 4, 4 + 5);
    free(b.p);

    /* One byte too long, the boundary a comparison off by one misses; the
     * record last in the image, or followed by another. */
    static const size_t kinds[2] = {ROMFS_KIND_DIR, ROMFS_KIND_FILE};
    char name[96];
    for (int k = 0; k < 2; k++) {
        for (int last = 0; last < 2; last++) {
            snprintf(name, sizeof name, "a %s name one byte longer than its record%s",
                     k ? "file" : "directory", last ? ", last" : "");
            current_case = name;
            bytes rec = record(kinds[k], raw("\x03\x61\x62", 3));
            b = image(last ? rec : cat(2, rec, file("z", "x")));
            r = examine(&b);
            expect_fault(&r, 4, 4 + 5);
            free(b.p);
        }
    }

    current_case = "a data record one byte longer than its file";
    b = image(record(ROMFS_KIND_FILE, raw("\x01\x66\x02\x02x", 5)));
    r = examine(&b);
    expect_fault(&r, 4, 4 + 7);
    free(b.p);

    current_case = "the filesystem length past the buffer";
    bytes ok = image(file("a", "xyz"));
    for (size_t cut = 0; cut < ok.len; cut++) {
        b = raw(ok.p, cut);
        r = examine(&b);
        EXPECT(r.open == ROMFS_E_NOT_IMAGE, "cut at %zu of %zu: open %d", cut, ok.len, (int)r.open);
        free(b.p);
    }
    free(ok.p);
}

/* Images that end in the middle of something: each record below, cut
 * after every one of its bytes, as the last thing in a directory nested
 * three deep whose lengths (and the filesystem's) end exactly there, so
 * the cut is the end of the buffer and the next byte is a guard page. */
static void test_truncated(void) {
    bytes whole[6];
    whole[0] = file("name.txt", "data"); /* cut in the kind, length, name length, name, data */
    whole[1] = entry(ROMFS_KIND_FILE, "i",
                     record(ROMFS_KIND_INDIRECT, cat(2, varuint(300, 2), varuint(1000, 2))));
    whole[2] = dir("dir", file("x", "y"));
    whole[3] = record_p(0x14a6b1, 3, str("unknown"));
    whole[4] = entry(ROMFS_KIND_FILE, "pad", cat(2, record(1, str("pp")), record(2, str("z"))));
    bytes padded_body = cat(2, raw("\x01p", 2), record_p(ROMFS_KIND_DATA, 5, str("x")));
    whole[5] = varuint(ROMFS_KIND_FILE, 5); /* every varuint padded */
    put_uint(&whole[5], padded_body.len, 5);
    whole[5] = cat(2, whole[5], padded_body);
    char name[96];
    for (size_t w = 0; w < 6; w++) {
        for (size_t cut = 0; cut < whole[w].len; cut++) {
            snprintf(name, sizeof name, "record %zu cut after %zu of %zu bytes", w, cut,
                     whole[w].len);
            current_case = name;
            bytes b = image(nest(3, raw(whole[w].p, cut), 0));
            result r = examine(&b);
            if (cut == 0) {
                expect_clean(&r, 3);
            } else {
                expect_fault(&r, b.len - cut, b.len);
            }
            free(b.p);
        }
    }
    /* The same, at the root: the filesystem length ends at the cut. */
    for (size_t w = 0; w < 6; w++) {
        for (size_t cut = 1; cut < whole[w].len; cut++) {
            snprintf(name, sizeof name, "root record %zu cut after %zu of %zu bytes", w, cut,
                     whole[w].len);
            current_case = name;
            bytes b = image(raw(whole[w].p, cut));
            result r = examine(&b);
            expect_fault(&r, b.len - cut, b.len);
            free(b.p);
        }
        free(whole[w].p);
    }
}

/* ---- Depth, width and time ---------------------------------------------- */

enum { DEEP = 100000, MID = 10000, SHALLOW = 1000 };

/* --memcheck: run under valgrind, which checks every access and times
 * nothing meaningfully. */
static bool memcheck;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The least work a full walk needs: romfs_dir_next until every directory
 * ends. Gives up (returning 0) past `deadline`, so that a reader that is
 * not linear fails this test instead of running for hours. */
static size_t bare_walk(const romfs_image *img, romfs_dir *stack, size_t cap, double deadline) {
    size_t depth = 1, calls = 0;
    romfs_opendir_root(img, &stack[0]);
    while (depth > 0) {
        romfs_entry e;
        romfs_status r = romfs_dir_next(&stack[depth - 1], &e);
        calls++;
        if (r < 0 || (calls % 4096 == 0 && now() > deadline)) {
            return 0;
        }
        if (r == ROMFS_END) {
            depth--;
        } else if (e.type == ROMFS_TYPE_DIR) {
            if (depth == cap) {
                return 0;
            }
            romfs_opendir(img, &e, &stack[depth++]);
        }
    }
    return calls;
}

/* The same with romfs_walk, building every path: calls made, or 0. */
static size_t tree_walk(const romfs_image *img, romfs_walk_frame *stack, size_t cap, char *path,
                        size_t path_cap, double deadline) {
    romfs_walk w;
    romfs_walk_init(&w, img, stack, cap, path, path_cap);
    size_t calls = 0;
    romfs_entry e;
    romfs_status st;
    while ((st = romfs_walk_next(&w, &e, NULL)) == ROMFS_OK) {
        calls++;
        if (calls % 4096 == 0 && now() > deadline) {
            return 0;
        }
    }
    return st == ROMFS_END ? calls + 1 : 0;
}

/* "d/d/.../d" with `parts` parts, then "/" and `tail` unless it is "". */
static char *deep_path(size_t parts, const char *tail, size_t *len) {
    size_t tl = strlen(tail);
    char *p = xmalloc(parts * 2 + tl + 1);
    for (size_t i = 0; i < parts; i++) {
        p[2 * i] = 'd';
        p[2 * i + 1] = '/';
    }
    memcpy(p + parts * 2, tail, tl);
    *len = tl == 0 ? parts * 2 - 1 : parts * 2 + tl;
    p[*len] = '\0';
    return p;
}

/* What is timed: a walk with romfs_dir_next, one with romfs_walk that
 * builds every path, or a lookup of the deepest file. */
enum { TIME_DIR_WALK, TIME_TREE_WALK, TIME_LOOKUP, N_TIMED };
static const char *const timed_name[N_TIMED] = {"walk", "romfs_walk", "lookup"};

/* Room for the walks of the deepest image. */
typedef struct {
    romfs_dir *dirs;
    romfs_walk_frame *frames;
    size_t cap;
    char *path;
    size_t path_cap;
} walk_room;

/* Seconds per walk or lookup: the best of five runs of `repeat` each, so
 * that a busy machine can only make the comparisons below look better
 * for the deeper image, never worse. Negative when a walk fails or runs
 * past `budget` seconds. */
static double per_call(const romfs_image *img, const walk_room *room, int what, const char *path,
                       size_t path_len, size_t repeat, double budget, size_t *work) {
    double best = 1e9;
    for (int run = 0; run < 5; run++) {
        double t0 = now();
        for (size_t i = 0; i < repeat; i++) {
            if (what == TIME_LOOKUP) {
                romfs_entry e;
                *work += romfs_lookup(img, path, path_len, &e) == ROMFS_OK;
                continue;
            }
            size_t calls = what == TIME_DIR_WALK
                               ? bare_walk(img, room->dirs, room->cap, t0 + budget)
                               : tree_walk(img, room->frames, room->cap, room->path, room->path_cap,
                                           t0 + budget);
            if (calls == 0) {
                return -1;
            }
            *work += calls;
        }
        double t = (now() - t0) / (double)repeat;
        best = t < best ? t : best;
    }
    return best;
}

/* One deep image, placed against a guard page. */
typedef struct {
    size_t depth;
    bytes b;
    opened o;
    char *path; /* "d/.../d/f": the file at the bottom */
    size_t path_len;
} deep_image;

static void deep_open(deep_image *d, size_t depth) {
    d->depth = depth;
    d->b = image(nest(depth, file("f", "deep"), 0));
    open_placed(&d->o, &d->b);
    d->path = deep_path(depth, "f", &d->path_len);
}

static void deep_close(deep_image *d) {
    unplace(&d->o.g);
    free(d->b.p);
    free(d->path);
}

/* Time per record must not grow with depth: a reader that rescanned from
 * the root per level would take about 10 and 100 times as long per
 * record on the deeper images. The 10,000-deep image is timed first,
 * and the 100,000-deep cases are skipped when it fails, so a quadratic
 * reader fails in seconds instead of running for hours. The bounds leave
 * room for cache effects and noise: 5 at 10,000, 20 at 100,000. */
static int linear_in_depth(deep_image *small, deep_image *mid, deep_image *big,
                           const walk_room *room) {
    if (memcheck) {
        return 1; /* timed in the native run; under valgrind a clock says nothing */
    }
    size_t work = 0;
    char what[160];
    /* Each run long enough (a few milliseconds) for the clock. */
    size_t reps = 200;
    double t1[N_TIMED];
    for (int k = 0; k < N_TIMED; k++) {
        t1[k] = per_call(&small->o.img, room, k, small->path, small->path_len, reps, 1e9, &work);
    }
    deep_image *next[2] = {mid, big};
    double bound[2] = {5, 20};
    for (int i = 0; i < 2; i++) {
        double scale = (double)next[i]->depth / (double)small->depth;
        size_t n = (size_t)((double)reps / scale) > 0 ? (size_t)((double)reps / scale) : 1;
        for (int k = 0; k < N_TIMED; k++) {
            double limit = bound[i] * scale * t1[k] + 0.0002;
            snprintf(what, sizeof what, "%s time linear in the depth (%zu)", timed_name[k],
                     next[i]->depth);
            current_case = what;
            /* Given up on only far beyond the limit: a preempted run is
             * noise, the best of five runs is what is judged. */
            double t = per_call(&next[i]->o.img, room, k, next[i]->path, next[i]->path_len, n,
                                n * limit * 10 + 1, &work);
            EXPECT(t >= 0 && t < limit,
                   "a %zu-deep %s took %.6fs (%s), a %zu-deep one %.6fs: more than %.0f times "
                   "as long per record",
                   next[i]->depth, timed_name[k], t, t < 0 ? "gave up" : "done", small->depth,
                   t1[k], bound[i]);
            if (t < 0 || t >= limit) {
                return 0;
            }
        }
    }
    return 1;
}

static void test_deep(void) {
    deep_image small, mid, big;
    deep_open(&small, SHALLOW);
    deep_open(&mid, MID);
    deep_open(&big, DEEP);
    walk_room room;
    room.cap = DEEP + 2;
    room.dirs = xmalloc(room.cap * sizeof *room.dirs);
    room.frames = xmalloc(room.cap * sizeof *room.frames);
    room.path_cap = 2 * DEEP + 3; /* "d/.../d/f" and its NUL */
    room.path = xmalloc(room.path_cap);
    int linear = linear_in_depth(&small, &mid, &big, &room);
    free(room.dirs);
    free(room.frames);
    free(room.path);
    deep_close(&small);
    deep_close(&mid);
    if (!linear) {
        printf("FAIL: not linear: the 100,000-deep cases are skipped\n");
        failures++;
        deep_close(&big);
        return;
    }

    current_case = "100,000 nested directories";
    result r = examine(&big.b);
    expect_clean(&r, DEEP + 1);
    /* One call per entry and one per directory (the root's included) to
     * see its end: exactly, so a reader that re-read or skipped would
     * show. */
    EXPECT(r.calls == (DEEP + 1) + (DEEP + 1), "%zu romfs_dir_next calls", r.calls);
    EXPECT(r.max_depth == DEEP + 1, "depth %zu", r.max_depth);
    /* romfs_walk from one frame and one byte of path: 17 doublings reach
     * the 100,001 frames; the path grows to twice what it needs each time
     * it runs out, on the way to 200,002 bytes. One call per entry, one
     * per growth, one for the end and one after it. */
    size_t path_grows = 0;
    for (size_t len = 1, cap = 1; len <= 2 * DEEP + 1; len += 2) {
        if (len + 1 > cap) {
            cap = (len + 1) * 2;
            path_grows++;
        }
    }
    EXPECT(r.walk_grows == 17 + path_grows, "the walk ran out %zu times, expected %zu",
           r.walk_grows, 17 + path_grows);
    EXPECT(r.walk_calls == (DEEP + 1) + r.walk_grows + 2, "%zu romfs_walk_next calls",
           r.walk_calls);
    expect_file(&big.o, big.path, "deep");
    size_t len;
    char *path = deep_path(DEEP, "", &len);
    romfs_entry e;
    romfs_status st = romfs_lookup(&big.o.img, path, len, &e);
    EXPECT(st == ROMFS_OK && e.type == ROMFS_TYPE_DIR && e.name_len == 1,
           "the innermost directory by a %d-part path: %s", DEEP, romfs_strerror(st));
    free(path);
    path = deep_path(DEEP + 1, "", &len);
    EXPECT(romfs_lookup(&big.o.img, path, len, &e) == ROMFS_E_NOT_FOUND, "one part too many");
    free(path);
    path = deep_path(DEEP, "f/x", &len);
    EXPECT(romfs_lookup(&big.o.img, path, len, &e) == ROMFS_E_NOT_DIR, "below a file");
    free(path);
    deep_close(&big);

    current_case = "100,000 nested directories, the innermost too long";
    bytes bad = image(nest(DEEP, none(), 1));
    r = examine(&bad);
    /* The innermost record: 04, its length (1 byte), 01 'd', and the one
     * byte it claims beyond its parent. */
    expect_fault(&r, bad.len - 4, bad.len);
    EXPECT(r.entries == DEEP - 1, "%zu entries before the fault", r.entries);
    opened ob;
    open_placed(&ob, &bad);
    path = deep_path(DEEP, "", &len);
    EXPECT(romfs_lookup(&ob.img, path, len, &e) == ROMFS_E_CORRUPT, "lookup into the fault");
    free(path);
    unplace(&ob.g);
    free(bad.p);
}

/* Many records side by side: padding and unknown kinds before an entry,
 * and before a file's data. */
static void test_wide(void) {
    current_case = "100,000 skipped records";
    bytes body = none();
    for (size_t i = 0; i < DEEP; i++) {
        put(&body, i % 2 ? "\x01\x00" : "\x7f\x00", 2);
    }
    bytes inner = raw("\x01\x66", 2);
    for (size_t i = 0; i < DEEP; i++) {
        put(&inner, "\x01\x01\x00", 3);
    }
    put(&inner, "\x02\x01w", 3);
    bytes b = image(cat(2, body, record(ROMFS_KIND_FILE, inner)));
    result r = examine(&b);
    expect_clean(&r, 1);
    EXPECT(r.calls == 2, "%zu romfs_dir_next calls", r.calls);
    opened o;
    open_placed(&o, &b);
    expect_file(&o, "f", "w");
    expect_status(&o, "g", ROMFS_E_NOT_FOUND);
    unplace(&o.g);
    free(b.p);
}

/* ---- Lookups by kind and by NUL-terminated path --------------------------- */

static void test_lookup_forms(void) {
    current_case = "romfs_find and the _file lookups";
    bytes b =
        image(cat(2, dir("d", cat(2, dir("e", none()), file("f", "xyz"))), file("readme", "hi")));
    opened o;
    open_placed(&o, &b);
    romfs_entry e;
    /* look() checks all four forms against each other on every path. */
    EXPECT(look(&o, "d", &e) == ROMFS_OK, "d");
    EXPECT(romfs_find_file(&o.img, "d", &e) == ROMFS_E_IS_DIR, "a directory is not a file");
    EXPECT(romfs_lookup_file(&o.img, "d/e/", 4, &e) == ROMFS_E_IS_DIR, "nor with its '/'");
    EXPECT(romfs_find_file(&o.img, "", &e) == ROMFS_E_IS_DIR, "nor the root");
    EXPECT(romfs_find_file(&o.img, "/", &e) == ROMFS_E_IS_DIR, "nor the root as '/'");
    EXPECT(romfs_find_file(&o.img, "/d/f", &e) == ROMFS_OK && e.size == 3 &&
               memcmp(e.data, "xyz", 3) == 0,
           "a file is");
    EXPECT(romfs_find_file(&o.img, "readme/", &e) == ROMFS_E_NOT_DIR, "a file with a '/'");
    EXPECT(romfs_find_file(&o.img, "d/nope", &e) == ROMFS_E_NOT_FOUND, "nothing there");
    expect_file(&o, "d/f", "xyz");
    expect_status(&o, "d/e/x", ROMFS_E_NOT_FOUND);
    /* The NUL ends the path; a counted path takes its length instead. */
    static const char with_nul[] = "d/f\0tail";
    EXPECT(romfs_find(&o.img, with_nul, &e) == ROMFS_OK && e.type == ROMFS_TYPE_FILE,
           "romfs_find stops at the NUL");
    EXPECT(romfs_lookup(&o.img, with_nul, sizeof with_nul - 1, &e) == ROMFS_E_NOT_FOUND,
           "romfs_lookup takes the NUL as part of a name");
    /* No path at all, as from a table entry left empty. */
    scribble(&e);
    EXPECT(romfs_find(&o.img, NULL, &e) == ROMFS_E_NOT_FOUND &&
               romfs_find_file(&o.img, NULL, &e) == ROMFS_E_NOT_FOUND &&
               romfs_lookup(&o.img, NULL, 0, &e) == ROMFS_E_NOT_FOUND &&
               romfs_lookup_file(&o.img, NULL, 5, &e) == ROMFS_E_NOT_FOUND && scribbled(&e),
           "a NULL path finds nothing");
    unplace(&o.g);
    free(b.p);

    current_case = "the _file lookups on a corrupt image";
    b = image(cat(2, raw("\x00\x00", 2), file("after", "x")));
    open_placed(&o, &b);
    expect_status(&o, "after", ROMFS_E_CORRUPT);
    unplace(&o.g);
    free(b.p);
}

/* ---- Walking the whole tree ------------------------------------------------ */

/* a/ b/ c "1", a/d "22", e/ (empty), f "333", with padding and an unknown
 * kind among them. */
static bytes walk_image(void) {
    return image(cat(4,
                     dir("a", cat(3, dir("b", file("c", "1")),
                                  record(ROMFS_KIND_PADDING, str("..")), file("d", "22"))),
                     record(0x99, str("later")), dir("e", none()), file("f", "333")));
}

typedef struct {
    const char *path;
    size_t depth;
    romfs_type type;
} step;

static const step walk_steps[] = {
    {"a", 0, ROMFS_TYPE_DIR},    {"a/b", 1, ROMFS_TYPE_DIR}, {"a/b/c", 2, ROMFS_TYPE_FILE},
    {"a/d", 1, ROMFS_TYPE_FILE}, {"e", 0, ROMFS_TYPE_DIR},   {"f", 0, ROMFS_TYPE_FILE},
};
enum { N_WALK_STEPS = sizeof walk_steps / sizeof walk_steps[0] };

/* Path buffers live in a larger array whose tail must never be written. */
enum { CANARY = 0x5a, PATH_ROOM = 64 };

static void fill_canary(char *buf) {
    memset(buf, CANARY, PATH_ROOM);
}

static int canary_intact(const char *buf, size_t from) {
    for (size_t i = from; i < PATH_ROOM; i++) {
        if ((unsigned char)buf[i] != CANARY) {
            return 0;
        }
    }
    return 1;
}

/* The next call must return step `i` of walk_steps. */
static void expect_step(romfs_walk *w, size_t i) {
    const step *s = &walk_steps[i];
    romfs_entry e;
    size_t depth = (size_t)-1;
    romfs_status st = romfs_walk_next(w, &e, &depth);
    EXPECT(st == ROMFS_OK, "step %zu (%s): %s", i, s->path, romfs_strerror(st));
    if (st != ROMFS_OK) {
        return;
    }
    size_t last = strlen(s->path);
    while (last > 0 && s->path[last - 1] != '/') {
        last--;
    }
    EXPECT(depth == s->depth && e.type == s->type && w->depth == depth + 1 &&
               e.name_len == strlen(s->path + last) &&
               memcmp(e.name, s->path + last, e.name_len) == 0,
           "step %zu: '%.*s' at depth %zu (%zu frames), expected %s at %zu", i, (int)e.name_len,
           (const char *)e.name, depth, w->depth, s->path, s->depth);
    if (w->path != NULL) {
        EXPECT(strcmp(w->path, s->path) == 0 && w->path_len == strlen(s->path),
               "step %zu: path '%s' (%zu), expected '%s'", i, w->path, w->path_len, s->path);
    }
}

static void expect_walk_end(romfs_walk *w) {
    romfs_entry e;
    for (int i = 0; i < 2; i++) {
        romfs_status st = romfs_walk_next(w, &e, NULL);
        EXPECT(st == ROMFS_END, "%s at the end", romfs_strerror(st));
    }
    EXPECT(w->depth == 0 && w->path_len == 0 && (w->path == NULL || w->path[0] == '\0'),
           "at the end: %zu frames, path of %zu", w->depth, w->path_len);
}

static void test_walk(void) {
    bytes b = walk_image();
    opened o;
    open_placed(&o, &b);
    romfs_walk_frame stack[4];
    char path[PATH_ROOM];
    romfs_walk w;
    romfs_entry e;
    size_t depth;

    current_case = "romfs_walk: every entry once, depth first, in image order";
    fill_canary(path);
    EXPECT(romfs_walk_init(&w, &o.img, stack, 4, path, 32) == ROMFS_OK, "init");
    for (size_t i = 0; i < N_WALK_STEPS; i++) {
        expect_step(&w, i);
    }
    expect_walk_end(&w);
    EXPECT(canary_intact(path, 32), "wrote past the path buffer");

    current_case = "romfs_walk without a path buffer";
    romfs_walk_init(&w, &o.img, stack, 4, NULL, 0);
    for (size_t i = 0; i < N_WALK_STEPS; i++) {
        expect_step(&w, i);
        EXPECT(w.path == NULL && w.path_len == 0, "a path without a buffer");
    }
    expect_walk_end(&w);

    current_case = "romfs_walk: TOO_DEEP keeps its place until grown";
    romfs_walk_frame small[2], big[3];
    romfs_walk_init(&w, &o.img, small, 2, path, 32);
    expect_step(&w, 0);
    expect_step(&w, 1);
    for (int again = 0; again < 2; again++) {
        romfs_status st = romfs_walk_next(&w, &e, &depth);
        EXPECT(st == ROMFS_E_TOO_DEEP && w.depth == 2 && strcmp(w.path, "a/b") == 0,
               "entering a/b with 2 frames: %s, %zu frames, path '%s'", romfs_strerror(st), w.depth,
               w.path);
    }
    memcpy(big, small, sizeof small);
    memset(small, 0xee, sizeof small); /* nothing may be read from the old stack */
    EXPECT(romfs_walk_grow(&w, big, 3, path, 32) == ROMFS_OK, "grow");
    for (size_t i = 2; i < N_WALK_STEPS; i++) {
        expect_step(&w, i);
    }
    expect_walk_end(&w);

    current_case = "romfs_walk: TOO_DEEP, then skipped";
    romfs_walk_init(&w, &o.img, small, 2, path, 32);
    expect_step(&w, 0);
    expect_step(&w, 1);
    EXPECT(romfs_walk_next(&w, &e, &depth) == ROMFS_E_TOO_DEEP, "a/b with 2 frames");
    EXPECT(romfs_walk_skip(&w) == ROMFS_OK, "skip");
    expect_step(&w, 3); /* a/d: a/b/c passed by */
    expect_step(&w, 4);
    expect_step(&w, 5);
    expect_walk_end(&w);

    current_case = "romfs_walk: skip after a directory, without running out";
    romfs_walk_init(&w, &o.img, stack, 4, path, 32);
    expect_step(&w, 0);
    romfs_walk_skip(&w);
    expect_step(&w, 4);
    romfs_walk_skip(&w); /* e is empty: nothing passed by */
    expect_step(&w, 5);
    romfs_walk_skip(&w); /* after a file: changes nothing */
    expect_walk_end(&w);

    current_case = "romfs_walk: one frame, or none";
    romfs_walk_init(&w, &o.img, stack, 1, path, 32);
    expect_step(&w, 0);
    EXPECT(romfs_walk_next(&w, &e, &depth) == ROMFS_E_TOO_DEEP && w.depth == 1, "entering a");
    romfs_walk_skip(&w);
    expect_step(&w, 4);
    EXPECT(romfs_walk_next(&w, &e, &depth) == ROMFS_E_TOO_DEEP, "entering e");
    romfs_walk_skip(&w);
    expect_step(&w, 5);
    expect_walk_end(&w);
    romfs_walk_init(&w, &o.img, stack, 0, path, 32);
    EXPECT(romfs_walk_next(&w, &e, &depth) == ROMFS_E_TOO_DEEP && w.depth == 0,
           "no frame for the root");
    EXPECT(romfs_walk_grow(&w, stack, 4, path, 32) == ROMFS_OK, "grow from nothing");
    expect_step(&w, 0);
    romfs_walk_init(&w, &o.img, stack, 0, path, 32);
    romfs_walk_skip(&w); /* the root passed by: nothing to walk */
    expect_walk_end(&w);

    current_case = "romfs_walk: PATH_TOO_LONG keeps its place until grown";
    fill_canary(path);
    romfs_walk_init(&w, &o.img, stack, 4, path, 4);
    expect_step(&w, 0);
    expect_step(&w, 1); /* "a/b" and its NUL: exactly 4 */
    for (size_t cap = 4; cap <= 5; cap++) {
        depth = 99;
        memset(&e, 0, sizeof e);
        romfs_status st = romfs_walk_next(&w, &e, &depth);
        EXPECT(st == ROMFS_E_PATH_TOO_LONG && w.path_need == 6 && depth == 2 && e.name_len == 1 &&
                   e.name[0] == 'c' && strcmp(w.path, "a/b") == 0 && w.path_len == 3,
               "a/b/c in %zu bytes: %s, needs %zu, depth %zu, path '%s'", cap, romfs_strerror(st),
               w.path_need, depth, w.path);
        EXPECT(canary_intact(path, cap), "wrote past %zu bytes of path", cap);
        EXPECT(romfs_walk_grow(&w, stack, 4, path, cap + 1) == ROMFS_OK, "grow to %zu", cap + 1);
    }
    for (size_t i = 2; i < N_WALK_STEPS; i++) {
        expect_step(&w, i);
    }
    expect_walk_end(&w);
    EXPECT(canary_intact(path, 6), "wrote past the path buffer");

    current_case = "romfs_walk: PATH_TOO_LONG, then skipped";
    fill_canary(path);
    romfs_walk_init(&w, &o.img, stack, 4, path, 3);
    expect_step(&w, 0);
    EXPECT(romfs_walk_next(&w, &e, &depth) == ROMFS_E_PATH_TOO_LONG && w.path_need == 4 &&
               e.type == ROMFS_TYPE_DIR && strcmp(w.path, "a") == 0,
           "a/b in 3 bytes");
    romfs_walk_skip(&w); /* a/b, and a/b/c in it */
    EXPECT(romfs_walk_next(&w, &e, &depth) == ROMFS_E_PATH_TOO_LONG && w.path_need == 4 &&
               e.type == ROMFS_TYPE_FILE && e.name[0] == 'd',
           "a/d in 3 bytes");
    romfs_walk_skip(&w);
    expect_step(&w, 4);
    expect_step(&w, 5);
    expect_walk_end(&w);
    EXPECT(canary_intact(path, 3), "wrote past the path buffer");
    fill_canary(path);
    romfs_walk_init(&w, &o.img, stack, 4, path, 0);
    EXPECT(romfs_walk_next(&w, &e, &depth) == ROMFS_E_PATH_TOO_LONG && w.path_need == 2,
           "no byte of path: even 'a' does not fit");
    EXPECT(canary_intact(path, 0), "wrote into a buffer of 0 bytes");

    current_case = "romfs_walk_grow refuses what cannot hold the walk";
    romfs_walk_init(&w, &o.img, stack, 4, path, 32);
    expect_step(&w, 0);
    expect_step(&w, 1);
    expect_step(&w, 2); /* 3 frames in use, path "a/b/c" */
    char other[PATH_ROOM];
    EXPECT(romfs_walk_grow(&w, big, 2, path, 32) == ROMFS_E_TOO_DEEP, "2 frames for 3");
    EXPECT(romfs_walk_grow(&w, stack, 4, NULL, 0) == ROMFS_E_PATH_TOO_LONG, "no buffer");
    EXPECT(romfs_walk_grow(&w, stack, 4, other, 5) == ROMFS_E_PATH_TOO_LONG, "5 bytes for 6");
    EXPECT(w.stack == stack && w.capacity == 4 && w.path == path && w.path_cap == 32,
           "a refusal changed the walk");
    expect_step(&w, 3);
    romfs_walk_init(&w, &o.img, stack, 4, NULL, 0);
    EXPECT(romfs_walk_grow(&w, stack, 4, other, 32) == ROMFS_E_PATH_TOO_LONG,
           "a buffer for a walk without one");
    expect_step(&w, 0);
    EXPECT(w.path == NULL, "a walk without a buffer took one");
    unplace(&o.g);
    free(b.p);

    current_case = "romfs_walk: a '/' before a name unless nothing precedes it";
    /* Empty names are faults of the writer, not of the structure: the
     * walk returns them, and its paths then say so by what they lack. */
    bytes empty =
        image(cat(2, dir("", cat(2, file("x", "1"), dir("", file("y", "2")))), file("", "3")));
    open_placed(&o, &empty);
    romfs_walk_init(&w, &o.img, stack, 4, path, 32);
    static const char *const empty_paths[] = {"", "x", "", "y", ""};
    for (size_t i = 0; i < 5; i++) {
        romfs_status got = romfs_walk_next(&w, &e, &depth);
        EXPECT(got == ROMFS_OK && strcmp(w.path, empty_paths[i]) == 0 &&
                   w.path_len == strlen(empty_paths[i]),
               "entry %zu: %s, path '%s', expected '%s'", i, romfs_strerror(got), w.path,
               empty_paths[i]);
    }
    expect_walk_end(&w);
    unplace(&o.g);
    free(empty.p);

    current_case = "romfs_walk: a fault ends the walk, named by its directory";
    bytes bad = image(cat(2, dir("a", cat(2, file("b", "x"), raw("\x00\x00", 2))), file("f", "y")));
    size_t kind0_at = bad.len - 2 - measure(file("f", "y"));
    open_placed(&o, &bad);
    romfs_walk_init(&w, &o.img, stack, 4, path, 32);
    romfs_walk_next(&w, &e, &depth);
    romfs_walk_next(&w, &e, &depth);
    romfs_status st = romfs_walk_next(&w, &e, &depth);
    EXPECT(st == ROMFS_E_CORRUPT && w.fault_offset == kind0_at && w.fault != NULL &&
               strcmp(w.path, "a") == 0 && w.path_len == 1 && w.depth == 0,
           "%s at %zu (expected %zu) in '%s'", romfs_strerror(st), w.fault_offset, kind0_at,
           w.path);
    EXPECT(romfs_walk_next(&w, &e, &depth) == ROMFS_END, "the walk is over after a fault");
    unplace(&o.g);
    free(bad.p);
}

/* A fixed stack on a deep image, as firmware has it: it runs out at its
 * depth, moves to a larger fixed one, runs out again, and passes by the
 * rest without reading it. */
static void test_walk_deep_fixed(void) {
    current_case = "romfs_walk: 100,000 nested directories, fixed stacks of 8 and 64";
    bytes b = image(nest(DEEP, file("f", "deep"), 0));
    opened o;
    open_placed(&o, &b);
    static romfs_walk_frame s8[8], s64[64];
    romfs_walk w;
    romfs_walk_init(&w, &o.img, s8, 8, NULL, 0);
    romfs_entry e;
    size_t depth, entries = 0, too_deep = 0;
    romfs_status st;
    while ((st = romfs_walk_next(&w, &e, &depth)) != ROMFS_END) {
        if (st == ROMFS_E_TOO_DEEP) {
            too_deep++;
            EXPECT(w.depth == (too_deep == 1 ? 8 : 64), "out of frames at %zu", w.depth);
            if (too_deep > 2) {
                break; /* the skip did not pass the directory by */
            }
            if (too_deep == 1) {
                memcpy(s64, s8, sizeof s8);
                EXPECT(romfs_walk_grow(&w, s64, 64, NULL, 0) == ROMFS_OK, "grow to 64");
            } else {
                romfs_walk_skip(&w);
            }
            continue;
        }
        EXPECT(st == ROMFS_OK && depth == entries, "%s at depth %zu after %zu entries",
               romfs_strerror(st), depth, entries);
        if (st != ROMFS_OK) {
            break;
        }
        entries++;
    }
    EXPECT(entries == 64 && too_deep == 2, "%zu entries, out of frames %zu times", entries,
           too_deep);
    unplace(&o.g);
    free(b.p);
}

static void test_strerror(void) {
    current_case = "romfs_strerror";
    static const romfs_status all[] = {ROMFS_OK,        ROMFS_END,         ROMFS_E_NOT_IMAGE,
                                       ROMFS_E_CORRUPT, ROMFS_E_NOT_FOUND, ROMFS_E_NOT_DIR,
                                       ROMFS_E_IS_DIR,  ROMFS_E_TOO_DEEP,  ROMFS_E_PATH_TOO_LONG,
                                       (romfs_status)42};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *s = romfs_strerror(all[i]);
        EXPECT(s != NULL && s[0] != '\0', "status %d has no text", (int)all[i]);
        for (size_t j = 0; j < i; j++) {
            EXPECT(strcmp(s, romfs_strerror(all[j])) != 0, "statuses %d and %d read the same",
                   (int)all[i], (int)all[j]);
        }
    }
}

/* ---- Running it all on a small stack -------------------------------------- */

/* Far less than 100,000 frames of any recursive reader would need, so
 * recursion shows as a stack overflow, not as a pass. */
enum { TEST_STACK = 512 << 10, ALT_STACK = 64 << 10 };

static void *run_all(void *arg) {
    (void)arg;
    stack_t alt = {.ss_sp = xmalloc(ALT_STACK), .ss_size = ALT_STACK, .ss_flags = 0};
    sigaltstack(&alt, NULL);
    test_empty();
    test_mpremote_layout();
    test_skipped_records();
    test_indirect();
    test_indirect_outside();
    test_long_varuints();
    test_not_an_image();
    test_kind0();
    test_no_data();
    test_overruns();
    test_truncated();
    test_deep();
    test_wide();
    test_lookup_forms();
    test_walk();
    test_walk_deep_fixed();
    test_strerror();
    stack_t off = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    sigaltstack(&off, NULL);
    free(alt.ss_sp);
    return NULL;
}

int main(int argc, char **argv) {
    memcheck = argc > 1 && strcmp(argv[1], "--memcheck") == 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fault;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous[0]);
    sigaction(SIGBUS, &sa, &previous[1]);

    pthread_attr_t attr;
    pthread_t t;
    if (pthread_attr_init(&attr) != 0 || pthread_attr_setstacksize(&attr, TEST_STACK) != 0 ||
        pthread_create(&t, &attr, run_all, NULL) != 0 || pthread_join(t, NULL) != 0) {
        printf("FAIL: cannot run the tests on a thread\n");
        return 1;
    }
    pthread_attr_destroy(&attr);
    printf("%d checks, %d failed\n", checks, failures);
    return failures != 0;
}

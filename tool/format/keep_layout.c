#include "format/keep_layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/varuint.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/pathmap.h"
#include "util/strlist.h"

/* A file's data record: an indirect record, kind and a one-byte length
 * then size and offset at KEEP_VARUINT bytes each. */
enum { INDIRECT_RECORD = 2 + 2 * KEEP_VARUINT };
/* Placing a file costs a scan of the data area's ranges; past this many
 * steps in all, files go after the end instead (first fit is a saving,
 * never a need). */
enum { FIT_BUDGET = 4 << 20 };
/* Each file rewritten in place or put in a hole is inserted among the
 * others, at a cost that grows with their number; past this many, the
 * rest go after the end (appending costs nothing), so that a base of
 * 200,000 changed files costs seconds, not hours. */
enum { MAX_MOVES = 1024 };

/* Every record's length, bottom up; returns the bytes `n` takes. */
static uint64_t measure(const node *n, placement *at) {
    placement *p = &at[n->id];
    uint64_t len = varuint_len(n->name_len) + n->name_len;
    if (n->is_dir) {
        for (size_t i = 0; i < n->n_kids; i++) {
            len += measure(n->kids[i], at);
        }
    } else {
        len += INDIRECT_RECORD;
    }
    p->len = len;
    p->width = (uint8_t)varuint_len(len);
    return 1 + p->width + len;
}

static uint64_t align_up(uint64_t v, uint64_t a) {
    return (v + a - 1) / a * a;
}

/* The data area's occupied ranges, sorted by offset. */
typedef struct {
    uint64_t start, end;
} range;

typedef struct {
    range *v;
    size_t n, cap;
} ranges;

/* `r` sorted and without overlaps, so its ends are sorted too. */
static bool is_free(const ranges *r, uint64_t start, uint64_t end) {
    size_t lo = 0, hi = r->n;
    while (lo < hi) { /* the first range ending after `start` */
        size_t mid = lo + (hi - lo) / 2;
        if (r->v[mid].end <= start) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo == r->n || r->v[lo].start >= end;
}

static void push(ranges *r, uint64_t start, uint64_t end) {
    if (start != end) {
        VEC_RESERVE(r->v, r->n, r->cap);
        r->v[r->n++] = (range){start, end};
    }
}

static int by_start(const void *a, const void *b) {
    const range *x = a, *y = b;
    return x->start != y->start ? (x->start < y->start ? -1 : 1)
                                : (x->end != y->end ? (x->end < y->end ? -1 : 1) : 0);
}

/* Sorts ranges pushed unsorted; whether any two overlap. */
static bool sort_ranges(ranges *r) {
    if (r->n > 1) { /* none pushed: no array at all */
        qsort(r->v, r->n, sizeof *r->v, by_start);
    }
    for (size_t i = 1; i < r->n; i++) {
        if (r->v[i].start < r->v[i - 1].end) {
            return true;
        }
    }
    return false;
}

static void occupy(ranges *r, uint64_t start, uint64_t end) {
    if (start == end) {
        return;
    }
    VEC_RESERVE(r->v, r->n, r->cap);
    size_t i = r->n;
    while (i > 0 && r->v[i - 1].start > start) {
        r->v[i] = r->v[i - 1];
        i--;
    }
    r->v[i].start = start;
    r->v[i].end = end;
    r->n++;
}

/* The first offset >= from, aligned to a, where `size` bytes fit before
 * `limit` in a hole; UINT64_MAX when none does. */
static uint64_t first_fit(const ranges *r, uint64_t from, uint64_t limit, uint64_t size,
                          uint64_t a, size_t *budget) {
    uint64_t at = align_up(from, a);
    for (size_t i = 0; i <= r->n; i++) {
        if (*budget == 0) {
            return UINT64_MAX;
        }
        (*budget)--;
        uint64_t hole_end = i < r->n ? r->v[i].start : limit;
        if (hole_end >= at && hole_end - at >= size) {
            return at;
        }
        if (i < r->n && r->v[i].end > at) {
            at = align_up(r->v[i].end, a);
        }
    }
    return UINT64_MAX;
}

typedef struct {
    const keep_base *base;
    content_hash_fn hash_of;
    layout *out;
    keep_stats *stats;
    pathmap by_path;    /* base path -> keep_extent */
    pathmap by_content; /* "hash:size" -> keep_extent, or (placed) -> node */
    pathmap placed;     /* "hash:size" -> the node whose copy others share */
    strlist keys;       /* owns the keys of by_content and placed */
    ranges used;    /* file data */
    ranges claimed; /* file data and the room behind each file for it to grow */
    uint64_t end;      /* where the next file after the end may go */
    uint64_t data_end; /* one past the last byte of file data: room behind it is not image */
    size_t budget;
    /* Growth room behind a file placed after the end: size * room / new,
     * at most size / 8 (integers, so every machine lays out alike). */
    uint64_t room, new_bytes;
    uint64_t capacity; /* 0: none */
    size_t moves;      /* files rewritten in place or put in holes */
    bool deferred;     /* pass 1: ranges pushed now, sorted after */
} keeper;

static const char *content_key(keeper *k, const uint8_t hash[HASH_SIZE], uint64_t size) {
    char hex[2 * HASH_SIZE + 1];
    hex_encode(hash, HASH_SIZE, hex);
    char *key = xasprintf("%s:%llx", hex, (unsigned long long)size);
    strlist_take(&k->keys, key);
    return key;
}

static void place(keeper *k, const node *n, uint64_t at) {
    k->out->at[n->id].data_offset = at;
    if (k->deferred) {
        push(&k->used, at, at + n->size);
        push(&k->claimed, at, at + n->size + n->size / 8);
    } else {
        occupy(&k->used, at, at + n->size);
        occupy(&k->claimed, at, at + n->size + n->size / 8);
    }
    if (at + n->size > k->end) {
        k->end = at + n->size;
    }
    if (at + n->size > k->data_end) {
        k->data_end = at + n->size;
    }
    pathmap_add(&k->placed, content_key(k, k->hash_of(n), n->size), (void *)n);
    k->stats->data_bytes += n->size;
}

/* A copy of the same bytes already placed where `n` may share it. */
static bool share(keeper *k, const node *n) {
    const node *twin = pathmap_get(&k->placed, content_key(k, k->hash_of(n), n->size));
    if (twin == NULL || k->out->at[twin->id].data_offset % n->align != 0) {
        return false;
    }
    k->out->at[n->id].data_offset = k->out->at[twin->id].data_offset;
    k->stats->shared++;
    return true;
}

/* Whether `n` may stay at the base extent `e`: inside this data area,
 * aligned as it needs, and not over what another file now holds. */
static bool fits_at(keeper *k, const node *n, const keep_extent *e, uint64_t size) {
    return e != NULL && e->offset >= k->out->data_start && e->offset % n->align == 0 &&
           (k->deferred || is_free(&k->used, e->offset, e->offset + size));
}

static bool same_content(keeper *k, const node *n, const keep_extent *e) {
    return e != NULL && e->size == n->size && memcmp(e->hash, k->hash_of(n), HASH_SIZE) == 0;
}

/* Pass 1: files whose bytes the base holds, by path or by content. */
static bool keep_in_place(keeper *k, const node *n) {
    if (share(k, n)) {
        return true;
    }
    const keep_extent *e = pathmap_get(&k->by_path, n->path);
    if (!same_content(k, n, e)) {
        e = pathmap_get(&k->by_content, content_key(k, k->hash_of(n), n->size));
    }
    if (!same_content(k, n, e) || !fits_at(k, n, e, n->size)) {
        return false;
    }
    place(k, n, e->offset);
    k->stats->kept++;
    return true;
}

/* Pass 2: a changed file where it was, if it still fits there. */
static bool rewrite_in_place(keeper *k, const node *n) {
    const keep_extent *e = pathmap_get(&k->by_path, n->path);
    if (k->moves >= MAX_MOVES || !fits_at(k, n, e, n->size)) {
        return false;
    }
    k->moves++;
    place(k, n, e->offset);
    k->stats->rewritten_in_place++;
    return true;
}

/* Pass 3: the first hole that fits and is no file's room to grow, else
 * after the end, else (past the capacity) any hole that fits. */
static void place_anew(keeper *k, const node *n) {
    if (share(k, n)) {
        return;
    }
    uint64_t start = k->out->data_start;
    bool may_move = k->moves < MAX_MOVES;
    uint64_t at = may_move ? first_fit(&k->claimed, start, k->end, n->size, n->align, &k->budget)
                           : UINT64_MAX;
    bool appended = at == UINT64_MAX;
    if (appended) {
        at = align_up(k->end, n->align);
        if (may_move && k->capacity != 0 && at + n->size > k->capacity) {
            uint64_t hole = first_fit(&k->used, start, k->end, n->size, n->align, &k->budget);
            appended = hole == UINT64_MAX;
            at = appended ? at : hole;
        }
    }
    k->moves += !appended;
    place(k, n, at);
    k->stats->placed++;
    if (appended && k->room != 0) {
        uint64_t grow = n->size * k->room / k->new_bytes;
        grow = grow < n->size / 8 ? grow : n->size / 8;
        occupy(&k->claimed, at + n->size, at + n->size + grow); /* not for the files after it */
        k->end = at + n->size + grow;
    }
}

static int larger_first(const void *a, const void *b) {
    const node *x = *(const node *const *)a, *y = *(const node *const *)b;
    if (x->size != y->size) {
        return x->size < y->size ? 1 : -1;
    }
    return strcmp(x->path, y->path);
}

/* The file nodes in image order. */
static size_t files_in_order(const node *n, const node **out, size_t count) {
    for (size_t i = 0; i < n->n_kids; i++) {
        const node *k = n->kids[i];
        if (k->is_dir) {
            count = files_in_order(k, out, count);
        } else {
            out[count++] = k;
        }
    }
    return count;
}

/* Where the data area starts: the base's, when the tree still fits before
 * it; else the next erase block with room for the tree to grow by a
 * quarter (at least 1 KiB). */
static void choose_data_start(const keep_base *base, uint64_t erase_block, layout *out,
                              keep_stats *stats) {
    uint64_t need = out->tree_end + 1 + KEEP_VARUINT;
    if (base->data_start != 0 && base->data_start >= need) {
        out->data_start = base->data_start;
        return;
    }
    stats->fresh = true;
    if (base->size != 0) {
        stats->why = base->data_start == 0
                         ? "the base is not a block-keeping image"
                         : "the directory tree outgrew the room before the base's data area";
    }
    uint64_t slack = out->tree_end / 4 > 1024 ? out->tree_end / 4 : 1024;
    out->data_start = align_up(need + slack, erase_block);
}

static void keeper_free(keeper *k) {
    free(k->used.v);
    free(k->claimed.v);
    pathmap_free(&k->by_path);
    pathmap_free(&k->by_content);
    pathmap_free(&k->placed);
    strlist_free(&k->keys);
}

void layout_keep(const tree *t, const keep_base *base, content_hash_fn hash_of,
                 uint64_t erase_block, uint64_t capacity, layout *out, keep_stats *stats) {
    memset(out, 0, sizeof *out);
    memset(stats, 0, sizeof *stats);
    out->keep = true;
    out->at = xcalloc(t->n_nodes, sizeof *out->at);
    out->max_align = 1;
    out->root_width = KEEP_VARUINT;
    out->tree_end = KEEP_PAYLOAD_START;
    for (size_t i = 0; i < t->root->n_kids; i++) {
        out->tree_end += measure(t->root->kids[i], out->at);
    }
    choose_data_start(base, erase_block, out, stats);
    /* The records between the tree and the data: a filler padding record
     * (at least 2 bytes), or none, and the data's own record header, one
     * byte longer when the gap would otherwise be a single byte. */
    uint64_t gap = out->data_start - out->tree_end - (1 + KEEP_VARUINT);
    out->data_header = 1 + KEEP_VARUINT + (gap == 1);
    out->filler = gap == 1 ? 0 : gap;

    keeper k = {.base = base, .hash_of = hash_of, .out = out, .stats = stats,
                .end = out->data_start, .data_end = out->data_start, .budget = FIT_BUDGET,
                .capacity = capacity};
    for (size_t i = 0; i < base->n_files; i++) {
        const keep_extent *e = &base->files[i];
        pathmap_add(&k.by_path, e->path, (void *)e);
        pathmap_add(&k.by_content, content_key(&k, e->hash, e->size), (void *)e);
    }
    const node **files = xcalloc(t->n_files ? t->n_files : 1, sizeof *files);
    size_t n = files_in_order(t->root, files, 0), left = 0;
    k.deferred = true;
    for (size_t i = 0; i < n; i++) {
        out->max_align = files[i]->align > out->max_align ? files[i]->align : out->max_align;
        if (!keep_in_place(&k, files[i])) {
            files[left++] = files[i];
        }
    }
    k.deferred = false;
    sort_ranges(&k.claimed);
    if (sort_ranges(&k.used)) {
        /* Files the base holds overlap one another: no image of ours has
         * them, and keeping them would be unsound. */
        free(files);
        keeper_free(&k);
        keep_base none = {0};
        layout_free(out);
        layout_keep(t, &none, hash_of, erase_block, capacity, out, stats);
        stats->fresh = true;
        stats->why = "the base's files overlap one another";
        return;
    }
    size_t rest = 0;
    for (size_t i = 0; i < left; i++) {
        if (!rewrite_in_place(&k, files[i])) {
            files[rest++] = files[i];
        }
    }
    qsort(files, rest, sizeof *files, larger_first);
    /* Half of what the capacity would still have free with every file
     * left appended goes to growth room. */
    for (size_t i = 0; i < rest; i++) {
        k.new_bytes += files[i]->size + files[i]->align;
    }
    if (capacity > k.end + k.new_bytes && k.new_bytes != 0) {
        k.room = (capacity - k.end - k.new_bytes) / 2;
    }
    for (size_t i = 0; i < rest; i++) {
        place_anew(&k, files[i]);
    }
    out->data_end = k.data_end + (k.data_end % 2); /* the image must be even-sized */
    out->size = out->data_end;
    out->payload_len = out->size - KEEP_PAYLOAD_START;
    stats->free_bytes = out->data_end - out->data_start - stats->data_bytes;
    free(files);
    keeper_free(&k);
}

/* The walk takes every record list (the root's, each directory's, each
 * file's) with an explicit stack, so a deep image cannot exhaust ours. A
 * record's kind and length, and an entry's name length, are charged as
 * metadata in their shortest form; the bytes beyond that (leading 0x80s)
 * are padding. Data reached through indirect records is charged to the
 * first file that points at it; whatever a root-level padding record holds
 * that no file's data covers is that record's padding. */
#include "inspect/space.h"

#include <stdlib.h>
#include <string.h>

#include "format/varuint.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/pathmap.h"
#include "util/strlist.h"

typedef struct {
    uint64_t start, end;
} range;

typedef struct {
    romfs_dir it;
    size_t item; /* the directory or file the records belong to */
    bool file;   /* a file's records: padding, then its data record */
    bool data_seen;
} frame;

typedef struct {
    const image_file *f;
    space *s;
    frame *stack;
    size_t depth, cap;
    range *claimed; /* data already charged */
    size_t n_claimed, cap_claimed;
    pathmap shared; /* "start:end" of indirect data charged, for files that share a copy */
    strlist keys;
    range *pads; /* root-level padding records' payloads: [start, end) and the item */
    size_t *pad_item;
    size_t n_pads, cap_pads;
} walker;

static size_t add_item(walker *w, size_t parent, const romfs_record *r, bool is_dir) {
    space *s = w->s;
    VEC_RESERVE(s->items, s->n, s->cap);
    space_item *it = &s->items[s->n];
    memset(it, 0, sizeof *it);
    const char *up = s->items[parent].path;
    it->path = up[0] ? xasprintf("%s/%.*s", up, (int)r->name_len, (const char *)r->name)
                     : xstrndup((const char *)r->name, r->name_len);
    it->is_dir = is_dir;
    it->parent = parent;
    return s->n++;
}

/* A record's kind and length (and a named record's name): metadata in
 * their shortest form, padding beyond it. */
static void charge_header(walker *w, size_t item, const romfs_record *r) {
    const uint8_t *start = w->f->bytes + r->offset;
    /* (r->payload - start) is the record's kind and length as written. */
    uint64_t header = (uint64_t)(r->payload - start);
    uint64_t shortest = varuint_len(r->kind) + varuint_len(r->payload_len);
    space_item *it = &w->s->items[item];
    it->metadata += shortest;
    it->padding += header - shortest;
    if (r->name != NULL) {
        uint64_t name_field = (uint64_t)(r->name - r->payload);
        it->metadata += varuint_len(r->name_len) + r->name_len;
        it->padding += name_field - varuint_len(r->name_len);
    }
}

static int push(walker *w, size_t item, bool file, const uint8_t *body, size_t len) {
    VEC_RESERVE(w->stack, w->depth, w->cap);
    frame *fr = &w->stack[w->depth];
    memset(fr, 0, sizeof *fr);
    fr->item = item;
    fr->file = file;
    if (romfs_open_records(&w->f->img, body, len, &fr->it) != ROMFS_OK) {
        return -1;
    }
    w->depth++;
    return 0;
}

/* Charges `n` bytes of data at `at` to `item`, unless they are indirect
 * and another file's data already covers them (files sharing one copy). */
static void charge_data(walker *w, size_t item, uint64_t at, uint64_t n, bool indirect) {
    if (indirect) {
        char *key = xasprintf("%llx:%llx", (unsigned long long)at, (unsigned long long)n);
        if (!pathmap_add(&w->shared, key, key)) {
            free(key);
            return;
        }
        strlist_take(&w->keys, key);
    }
    VEC_RESERVE(w->claimed, w->n_claimed, w->cap_claimed);
    w->claimed[w->n_claimed].start = at;
    w->claimed[w->n_claimed++].end = at + n;
    w->s->items[item].data += n;
}

static void file_record(walker *w, frame *fr, const romfs_record *r) {
    space_item *it = &w->s->items[fr->item];
    if (fr->data_seen || (r->kind != ROMFS_KIND_DATA && r->kind != ROMFS_KIND_INDIRECT)) {
        it->padding += r->length; /* padding before the data, or what readers pass over */
        return;
    }
    fr->data_seen = true;
    if (r->kind == ROMFS_KIND_INDIRECT) {
        it->metadata += r->length;
        charge_data(w, fr->item, it->offset, it->size, true);
        return;
    }
    charge_header(w, fr->item, r);
    charge_data(w, fr->item, it->offset, r->payload_len, false);
}

static int dir_record(walker *w, frame *fr, const romfs_record *r) {
    if (r->kind == ROMFS_KIND_DIR || r->kind == ROMFS_KIND_FILE) {
        size_t item = add_item(w, fr->item, r, r->kind == ROMFS_KIND_DIR);
        charge_header(w, item, r);
        if (r->kind == ROMFS_KIND_FILE) {
            romfs_entry e;
            if (romfs_record_entry(&fr->it, r, &e) != ROMFS_OK) {
                return -1;
            }
            space_item *it = &w->s->items[item];
            it->size = e.size;
            it->offset = (uint64_t)(e.data - w->f->bytes);
            hasher h;
            hasher_init(&h);
            hasher_update(&h, e.data, e.size);
            hasher_final(&h, it->hash);
            uint64_t a = 1;
            while (a < ((uint64_t)1 << 30) && it->offset % (a * 2) == 0) {
                a *= 2;
            }
            it->align = (unsigned)a;
        }
        return push(w, item, r->kind == ROMFS_KIND_FILE, r->body, r->body_len);
    }
    /* Padding, or a kind readers pass over: the directory's. A root-level
     * padding record may hold other files' data (a data area); those bytes
     * are taken back off once every file is known. */
    space_item *it = &w->s->items[fr->item];
    if (r->kind == ROMFS_KIND_PADDING && fr->item == 0) {
        charge_header(w, 0, r);
        it->padding += r->payload_len;
        VEC_RESERVE(w->pads, w->n_pads, w->cap_pads);
        w->pad_item = xrealloc(w->pad_item, w->cap_pads * sizeof *w->pad_item);
        w->pads[w->n_pads].start = (uint64_t)(r->payload - w->f->bytes);
        w->pads[w->n_pads].end = w->pads[w->n_pads].start + r->payload_len;
        w->pad_item[w->n_pads++] = fr->item;
    } else {
        it->padding += r->length;
    }
    return 0;
}

/* Data that lies inside a root-level padding record is data, not padding. */
static void settle_data_areas(walker *w) {
    for (size_t i = 0; i < w->n_claimed; i++) {
        for (size_t p = 0; p < w->n_pads; p++) {
            uint64_t lo = w->claimed[i].start > w->pads[p].start ? w->claimed[i].start
                                                                 : w->pads[p].start;
            uint64_t hi = w->claimed[i].end < w->pads[p].end ? w->claimed[i].end : w->pads[p].end;
            if (hi > lo) {
                w->s->items[w->pad_item[p]].padding -= hi - lo;
            }
        }
    }
}

static void add_up(space *s) {
    for (size_t i = 0; i < s->n; i++) {
        space_item *it = &s->items[i];
        it->total = it->data + it->metadata + it->padding;
        s->data += it->data;
        s->metadata += it->metadata;
        s->padding += it->padding;
    }
    /* Children come after their directory: add totals upward from the end. */
    for (size_t i = s->n; i-- > 1;) {
        s->items[s->items[i].parent].total += s->items[i].total;
    }
}

int space_account(const image_file *f, space *out) {
    memset(out, 0, sizeof *out);
    out->image = f->img.size;
    walker w = {.f = f, .s = out};
    VEC_RESERVE(out->items, out->n, out->cap);
    memset(&out->items[0], 0, sizeof out->items[0]);
    out->items[0].path = xstrdup("");
    out->items[0].is_dir = true;
    out->n = 1;
    uint64_t header = (uint64_t)(f->img.payload - f->bytes);
    uint64_t shortest = 3 + varuint_len(f->img.payload_len);
    out->items[0].metadata = shortest;
    out->items[0].padding = header - shortest;
    int rc = push(&w, 0, false, f->img.payload, f->img.payload_len);
    while (rc == 0 && w.depth > 0) {
        frame *fr = &w.stack[w.depth - 1];
        romfs_record r;
        romfs_status st = romfs_dir_next_record(&fr->it, &r);
        if (st == ROMFS_END) {
            w.depth--;
        } else if (st != ROMFS_OK) {
            rc = -1;
        } else if (fr->file) {
            file_record(&w, fr, &r);
        } else {
            rc = dir_record(&w, fr, &r);
        }
    }
    if (rc != 0) {
        diag_error("%s: the image is not sound (romfs verify says where)", shown(f->shown));
    } else {
        settle_data_areas(&w);
        add_up(out);
    }
    free(w.stack);
    free(w.claimed);
    free(w.pads);
    free(w.pad_item);
    pathmap_free(&w.shared);
    strlist_free(&w.keys);
    return rc;
}

void space_free(space *s) {
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].path);
    }
    free(s->items);
    memset(s, 0, sizeof *s);
}

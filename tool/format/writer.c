#include "format/writer.h"

#include <stdlib.h>

#include "format/keep_layout.h"
#include "format/varuint.h"
#include "romfs/reader.h"

/* ROMFS_KIND_FILESYSTEM (0x14a6b1) as the varuint that opens every image. */
const uint8_t image_magic[IMAGE_MAGIC_LEN] = {0x80 | (ROMFS_KIND_FILESYSTEM >> 14),
                                              0x80 | ((ROMFS_KIND_FILESYSTEM >> 7) & 0x7f),
                                              ROMFS_KIND_FILESYSTEM & 0x7f};

typedef struct {
    image_sink *s;
    uint64_t pos;
} emitter;

static int emit(emitter *e, const void *p, size_t n) {
    e->pos += n;
    return e->s->bytes(e->s, p, n);
}

static int emit_uint(emitter *e, uint64_t v, unsigned width) {
    uint8_t tmp[VARUINT_MAX + 1];
    if (width > sizeof tmp) { /* widths come from the layout; never this wide */
        abort();
    }
    varuint_put(tmp, v, width);
    return emit(e, tmp, width);
}

static int emit_kind(emitter *e, uint8_t kind) {
    return emit(e, &kind, 1);
}

/* A padding record of exactly n >= 2 bytes: kind, a length, zeros. */
static int emit_padding(emitter *e, uint64_t n) {
    unsigned w = 1;
    while (varuint_len(n - 1 - w) > w) {
        w++;
    }
    if (emit_kind(e, ROMFS_KIND_PADDING) != 0 || emit_uint(e, n - 1 - w, w) != 0) {
        return -1;
    }
    static const uint8_t zeros[4096];
    for (uint64_t left = n - 1 - w; left > 0;) {
        size_t take = left < sizeof zeros ? (size_t)left : sizeof zeros;
        if (emit(e, zeros, take) != 0) {
            return -1;
        }
        left -= take;
    }
    return 0;
}

/* A record's kind, length and name: the same in both layouts. */
static int emit_head(emitter *e, const node *n, const placement *p) {
    if (emit_kind(e, n->is_dir ? ROMFS_KIND_DIR : ROMFS_KIND_FILE) != 0 ||
        emit_uint(e, p->len, p->width) != 0 ||
        emit_uint(e, n->name_len, varuint_len(n->name_len)) != 0 ||
        emit(e, n->name, n->name_len) != 0) {
        return -1;
    }
    return 0;
}

static int emit_node(emitter *e, const node *n, const layout *lay) {
    const placement *p = &lay->at[n->id];
    if (emit_head(e, n, p) != 0) {
        return -1;
    }
    if (n->is_dir) {
        for (size_t i = 0; i < n->n_kids; i++) {
            if (emit_node(e, n->kids[i], lay) != 0) {
                return -1;
            }
        }
        return 0;
    }
    if ((p->pad >= 2 && emit_padding(e, p->pad) != 0) || emit_kind(e, ROMFS_KIND_DATA) != 0 ||
        emit_uint(e, n->size, p->data_width) != 0) {
        return -1;
    }
    if (e->pos != p->data_offset) {
        abort(); /* the writer and the layout disagree: a bug, never an image */
    }
    e->pos += n->size;
    return e->s->file_data(e->s, n, p->data_offset);
}

/* A block-keeping image's file record: its name, then an indirect record
 * with the data's size and its offset in the payload. */
static int emit_keep_node(emitter *e, const node *n, const layout *lay) {
    const placement *p = &lay->at[n->id];
    if (emit_head(e, n, p) != 0) {
        return -1;
    }
    if (n->is_dir) {
        for (size_t i = 0; i < n->n_kids; i++) {
            if (emit_keep_node(e, n->kids[i], lay) != 0) {
                return -1;
            }
        }
        return 0;
    }
    uint8_t len = 2 * KEEP_VARUINT;
    return emit_kind(e, ROMFS_KIND_INDIRECT) != 0 || emit(e, &len, 1) != 0 ||
                   emit_uint(e, n->size, KEEP_VARUINT) != 0 ||
                   emit_uint(e, p->data_offset - KEEP_PAYLOAD_START, KEEP_VARUINT) != 0
               ? -1
               : 0;
}

static int emit_gap(emitter *e, uint64_t upto) {
    if (upto > e->pos) {
        uint64_t n = upto - e->pos;
        e->pos = upto;
        return e->s->gap(e->s, upto - n, n);
    }
    return 0;
}

typedef struct {
    uint64_t offset;
    const node *n;
} stored;

static int by_offset(const void *a, const void *b) {
    const stored *x = a, *y = b;
    if (x->offset != y->offset) {
        return x->offset < y->offset ? -1 : 1;
    }
    return (x->n->id > y->n->id) - (x->n->id < y->n->id);
}

/* The data area in offset order, each stored copy once (files with the
 * same bytes share one), and what lies between them from the sink. */
static int emit_keep_data(emitter *e, const tree *t, const layout *lay) {
    stored *files = malloc((t->n_files ? t->n_files : 1) * sizeof *files);
    if (files == NULL) {
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        if (!t->all[i]->is_dir) {
            files[n].offset = lay->at[t->all[i]->id].data_offset;
            files[n++].n = t->all[i];
        }
    }
    qsort(files, n, sizeof *files, by_offset);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (files[i].offset < e->pos) {
            continue; /* a shared copy, written already */
        }
        rc = emit_gap(e, files[i].offset);
        if (rc == 0) {
            e->pos += files[i].n->size;
            rc = e->s->file_data(e->s, files[i].n, files[i].offset);
        }
    }
    if (rc == 0) {
        rc = emit_gap(e, lay->data_end);
    }
    free(files);
    return rc;
}

static int image_write_keep(const tree *t, const layout *lay, image_sink *s) {
    emitter e = {s, 0};
    int rc = emit(&e, image_magic, sizeof image_magic);
    if (rc == 0) {
        rc = emit_uint(&e, lay->payload_len, KEEP_VARUINT);
    }
    for (size_t i = 0; rc == 0 && i < t->root->n_kids; i++) {
        rc = emit_keep_node(&e, t->root->kids[i], lay);
    }
    if (rc == 0 && e.pos != lay->tree_end) {
        abort();
    }
    if (rc == 0 && lay->filler > 0) {
        unsigned w = 1;
        while (varuint_len(lay->filler - 1 - w) > w) {
            w++;
        }
        rc = emit_kind(&e, ROMFS_KIND_PADDING) != 0 || emit_uint(&e, lay->filler - 1 - w, w) != 0
                 ? -1
                 : emit_gap(&e, lay->tree_end + lay->filler);
    }
    if (rc == 0) {
        rc = emit_kind(&e, ROMFS_KIND_PADDING) != 0 ||
                     emit_uint(&e, lay->data_end - lay->data_start, lay->data_header - 1) != 0
                 ? -1
                 : 0;
    }
    if (rc == 0 && e.pos != lay->data_start) {
        abort();
    }
    if (rc == 0) {
        rc = emit_keep_data(&e, t, lay);
    }
    if (rc == 0 && e.pos != lay->size) {
        abort();
    }
    return rc;
}

int image_write(const tree *t, const layout *lay, image_sink *s) {
    if (lay->keep) {
        return image_write_keep(t, lay, s);
    }
    emitter e = {s, 0};
    int rc = emit(&e, image_magic, sizeof image_magic);
    if (rc == 0) {
        rc = emit_uint(&e, lay->payload_len, lay->root_width);
    }
    for (size_t i = 0; rc == 0 && i < t->root->n_kids; i++) {
        rc = emit_node(&e, t->root->kids[i], lay);
    }
    if (rc == 0 && lay->tail > 0) {
        rc = emit_padding(&e, lay->tail);
    }
    if (rc == 0 && e.pos != lay->size) {
        abort();
    }
    return rc;
}

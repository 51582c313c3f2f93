#include "format/writer.h"

#include <stdlib.h>

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

static int emit_node(emitter *e, const node *n, const layout *lay) {
    const placement *p = &lay->at[n->id];
    if (emit_kind(e, n->is_dir ? ROMFS_KIND_DIR : ROMFS_KIND_FILE) != 0 ||
        emit_uint(e, p->len, p->width) != 0 ||
        emit_uint(e, n->name_len, varuint_len(n->name_len)) != 0 ||
        emit(e, n->name, n->name_len) != 0) {
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

int image_write(const tree *t, const layout *lay, image_sink *s) {
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

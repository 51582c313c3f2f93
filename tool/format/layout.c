/* The layout problem: a record's length comes before its payload, and
 * the varuint holding it is 1 to 10 bytes long depending on that length.
 * Alignment padding inside a directory depends on absolute offsets, which
 * depend on the varuint widths of every enclosing length, which depend on
 * the padding inside. Each quantity depends on the others.
 *
 * We solve it as a monotone fixed point. Every length varuint gets a
 * reserved width, starting at 1. One pass places the tree depth-first with
 * those widths, choosing for each file the least padding that puts its
 * data on its alignment, and yields every record's length. Any length
 * that does not fit its reserved width gets a wider one, and we place
 * again. Widths only grow and none can exceed 10 bytes, so this ends,
 * within a few passes in practice. A length that ends up shorter than its
 * width is written as a padded varuint (leading 0x80 bytes), which the
 * format allows. With no alignment every width converges to the shortest
 * encoding, which is what makes the unaligned case byte-identical to
 * mpremote's writer.
 *
 * A file's padding of N bytes goes inside its file record, before its
 * data record: N >= 2 as one padding record of exactly N bytes, N == 1 as
 * one 0x80 in front of the data length (there is no 1-byte record). Every
 * gap thus costs exactly its size, at most align - 1 bytes.
 *
 * The image must be even-sized. When it comes out odd and no file needs
 * alignment, we do as mpremote does: pad the filesystem length varuint by
 * one byte, moving everything after it by one, which changes nothing
 * else. When some file does need an (even) alignment, that cannot work:
 * the first aligned file absorbs the shift in its own gap (one byte less,
 * or align - 1 more), so the total changes by 0 or by that alignment, an
 * even number, and the parity stays odd. Nothing inserted before the last
 * aligned file's data can change the parity, so we append a 3-byte
 * padding record at the very end instead (there is no 1-byte record),
 * which moves nothing. */
#include "format/layout.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "format/varuint.h"
#include "util/alloc.h"

static uint64_t place(const node *n, placement *at, uint64_t pos, bool unaligned) {
    placement *p = &at[n->id];
    uint64_t start = pos;
    pos += 1 + p->width + varuint_len(n->name_len) + n->name_len;
    if (n->is_dir) {
        for (size_t i = 0; i < n->n_kids; i++) {
            pos = place(n->kids[i], at, pos, unaligned);
        }
    } else {
        unsigned w = varuint_len(n->size);
        uint64_t base = pos + 1 + w; /* the data's offset with no padding */
        uint64_t a = unaligned ? 1 : n->align;
        uint64_t gap = (a - base % a) % a;
        p->data_width = (uint8_t)(w + (gap == 1));
        p->pad = gap == 1 ? 0 : gap;
        p->data_offset = base + gap;
        pos = p->data_offset + n->size;
    }
    p->len = pos - start - 1 - p->width;
    return pos;
}

static bool widen(const tree *t, placement *at) {
    bool grew = false;
    for (size_t i = 1; i < t->n_nodes; i++) { /* all[0] is the root */
        placement *p = &at[i];
        if (varuint_len(p->len) > p->width) {
            p->width = (uint8_t)varuint_len(p->len);
            grew = true;
        }
    }
    return grew;
}

static void solve(const tree *t, bool unaligned, layout *out) {
    unsigned aligned_files = 0;
    out->max_align = 1;
    for (size_t i = 0; i < t->n_nodes; i++) {
        const node *n = t->all[i];
        out->at[i].width = 1;
        if (!n->is_dir && n->align > 1) {
            aligned_files++;
            out->max_align = n->align > out->max_align ? n->align : out->max_align;
        }
    }
    if (unaligned) {
        aligned_files = 0;
    }
    unsigned root_width = 1, root_pad = 0, tail = 0;
    for (;;) {
        uint64_t start = 3 + root_width + root_pad;
        uint64_t end = start;
        for (size_t i = 0; i < t->root->n_kids; i++) {
            end = place(t->root->kids[i], out->at, end, unaligned);
        }
        uint64_t payload = end - start + tail;
        bool grew = widen(t, out->at);
        if (varuint_len(payload) > root_width) {
            root_width = varuint_len(payload);
            grew = true;
        }
        if (grew) {
            root_pad = tail = 0;
            continue;
        }
        if ((start + payload) % 2 == 0) {
            out->size = start + payload;
            out->payload_len = payload;
            out->root_width = root_width + root_pad;
            out->tail = tail;
            return;
        }
        if (root_pad != 0 || tail != 0) {
            abort(); /* the parity argument above says this cannot happen */
        }
        if (aligned_files == 0) {
            root_pad = 1;
        } else {
            tail = 3;
        }
    }
}

void layout_compute(const tree *t, layout *out) {
    memset(out, 0, sizeof *out);
    layout baseline = {.at = xcalloc(t->n_nodes, sizeof *baseline.at)};
    solve(t, true, &baseline);
    out->at = xcalloc(t->n_nodes, sizeof *out->at);
    solve(t, false, out);
    out->padding = out->size - baseline.size;
    free(baseline.at);
}

void layout_free(layout *l) {
    free(l->at);
    l->at = NULL;
}

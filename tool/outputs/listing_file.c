#include "outputs/listing_file.h"

#include <stdlib.h>
#include <string.h>

#include "format/mpy_header.h"
#include "inspect/listing.h"
#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/path.h"

static size_t widest(const node *n) {
    size_t w = n->path[0] ? strlen(n->path) + n->is_dir : 0;
    for (size_t i = 0; i < n->n_kids; i++) {
        size_t k = widest(n->kids[i]);
        w = k > w ? k : w;
    }
    return w;
}

/* Depth first in image order, with an explicit stack: trees may be deep. */
static void print_rows(listing_printer *p, const build_view *v) {
    const node **stack = NULL;
    size_t *next = NULL, depth = 0, cap = 0;
    const node *n = v->t->root;
    size_t i = 0;
    for (;;) {
        if (i < n->n_kids) {
            const node *k = n->kids[i++];
            listing_row r = {k->path, strlen(k->path), k->is_dir, k->size,
                             k->is_dir ? 0 : v->lay->at[k->id].data_offset, k->align, NULL};
            uint8_t head[MPY_HEADER_LEN];
            if (!k->is_dir && k->size >= MPY_HEADER_LEN && v->head != NULL &&
                path_has_suffix(k->path, strlen(k->path), ".mpy") &&
                v->head(k, head, sizeof head) == 0) {
                r.head = head;
            }
            listing_print_row(p, &r);
            if (k->is_dir) {
                if (depth == cap) {
                    cap = cap ? 2 * cap : 16;
                    stack = xrealloc(stack, cap * sizeof *stack);
                    next = xrealloc(next, cap * sizeof *next);
                }
                stack[depth] = n;
                next[depth++] = i;
                n = k;
                i = 0;
            }
        } else if (depth > 0) {
            n = stack[--depth];
            i = next[depth];
        } else {
            break;
        }
    }
    free(stack);
    free(next);
}

/* Saved only when it changed, so it never looks newer than the image it
 * describes. */
static int write_listing(output *o, const build_view *v) {
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL) {
        diag_error("out of memory");
        return -1;
    }
    listing_printer p;
    listing_begin(&p, mem, false, widest(v->t->root), v->lay->size);
    print_rows(&p, v);
    listing_end(&p);
    fclose(mem);
    int rc = write_if_changed(o->path, text, len);
    free(text);
    return rc;
}

const output_kind listing_output = {
    .name = "the listing",
    .option = "listing",
    .help = "the `romfs ls` listing of the image",
    .write = write_listing,
};

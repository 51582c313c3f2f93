#include "flash/pieces.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/diag.h"

void pieces_add(flash_pieces *ps, uint64_t address, uint64_t size, const uint8_t *bytes,
                uint64_t tag) {
    if (size == 0) {
        return;
    }
    VEC_RESERVE(ps->v, ps->n, ps->cap);
    ps->v[ps->n++] = (flash_piece){.address = address, .size = size, .bytes = bytes, .tag = tag};
}

static int by_address(const void *a, const void *b) {
    const flash_piece *x = a, *y = b;
    if (x->address != y->address) {
        return x->address < y->address ? -1 : 1;
    }
    return x->tag < y->tag ? -1 : x->tag > y->tag;
}

int pieces_to_map(const char *what, const char *unit, flash_pieces *ps, flash_map *out) {
    if (ps->n > 1) {
        qsort(ps->v, ps->n, sizeof *ps->v, by_address);
    }
    /* Sorted by start, any overlap shows between neighbours. */
    for (size_t i = 1; i < ps->n; i++) {
        const flash_piece *a = &ps->v[i - 1], *b = &ps->v[i];
        if (b->address - a->address < a->size) {
            const flash_piece *later = a->tag > b->tag ? a : b, *earlier = later == a ? b : a;
            diag_error("%s: %s %" PRIu64 " (%s) overlaps %s %" PRIu64 " (%s)", what, unit,
                       later->tag, flash_range(later->address, later->size), unit, earlier->tag,
                       flash_range(earlier->address, earlier->size));
            return -1;
        }
    }
    for (size_t i = 0; i < ps->n;) {
        size_t j = i + 1;
        uint64_t size = ps->v[i].size;
        while (j < ps->n && ps->v[j].address == ps->v[i].address + size) {
            size += ps->v[j++].size;
        }
        uint8_t *bytes = xmalloc((size_t)size);
        for (size_t k = i, at = 0; k < j; at += (size_t)ps->v[k].size, k++) {
            memcpy(bytes + at, ps->v[k].bytes, (size_t)ps->v[k].size);
        }
        flash_map_add_owned(out, ps->v[i].address, size, bytes);
        i = j;
    }
    return 0;
}

void pieces_free(flash_pieces *ps) {
    free(ps->v);
    *ps = (flash_pieces){0};
}

#include "deploy/delta.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/diag.h"

/* Whether the new image's bytes in [from, to) differ from the old one's
 * (which holds them all): compared in chunks, never held whole. */
static int differs(const deploy_image *img, const uint8_t *old, uint64_t from, uint64_t to,
                   uint8_t *chunk, bool *out) {
    *out = false;
    for (uint64_t at = from; at < to && !*out; at += FLASH_CHUNK) {
        size_t n = to - at < FLASH_CHUNK ? (size_t)(to - at) : FLASH_CHUNK;
        if (deploy_image_read(img, at, chunk, n) != 0) {
            diag_error("%s: cannot read it at offset %llu: %s", shown(img->what),
                       (unsigned long long)at, strerror(errno));
            return -1;
        }
        *out = memcmp(chunk, old + at, n) != 0;
    }
    return 0;
}

int delta_compute(const deploy_image *img, const uint8_t *old, size_t old_len, uint64_t erase_block,
                  uint64_t limit, delta *out) {
    memset(out, 0, sizeof *out);
    out->blocks = img->size / erase_block + (img->size % erase_block != 0);
    uint8_t *chunk = xmalloc(FLASH_CHUNK);
    int rc = 0;
    for (uint64_t k = 0; k < out->blocks && rc == 0; k++) {
        uint64_t from = k * erase_block;
        uint64_t to = img->size - from < erase_block ? img->size : from + erase_block;
        bool changed = to > old_len;
        if (!changed) {
            rc = differs(img, old, from, to, chunk, &changed);
        }
        if (rc != 0 || !changed) {
            continue;
        }
        uint64_t end = limit - from < erase_block ? limit : from + erase_block;
        out->changed++;
        out->bytes += end - from;
        delta_run *last = out->n ? &out->v[out->n - 1] : NULL;
        if (last != NULL && last->offset + last->length == from) {
            last->length += end - from;
        } else {
            VEC_RESERVE(out->v, out->n, out->cap);
            out->v[out->n++] = (delta_run){from, end - from};
        }
    }
    free(chunk);
    if (rc != 0) {
        delta_free(out);
    }
    return rc;
}

void delta_free(delta *d) {
    free(d->v);
    memset(d, 0, sizeof *d);
}

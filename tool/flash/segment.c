#include "flash/segment.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

static flash_segment *push(flash_map *m, uint64_t address, uint64_t size) {
    VEC_RESERVE(m->v, m->n, m->cap);
    flash_segment *s = &m->v[m->n++];
    *s = (flash_segment){.address = address, .size = size};
    return s;
}

void flash_map_add(flash_map *m, uint64_t address, uint64_t size, const uint8_t *bytes) {
    push(m, address, size)->bytes = bytes;
}

void flash_map_add_owned(flash_map *m, uint64_t address, uint64_t size, uint8_t *bytes) {
    VEC_RESERVE(m->owned, m->n_owned, m->cap_owned);
    m->owned[m->n_owned++] = bytes;
    flash_map_add(m, address, size, bytes);
}

void flash_map_add_reader(flash_map *m, uint64_t address, uint64_t size, flash_read_fn read,
                          void *ctx) {
    flash_segment *s = push(m, address, size);
    s->read = read;
    s->ctx = ctx;
}

const char *flash_range(uint64_t address, uint64_t size) {
    enum { SLOTS = 4 };
    static char ring[SLOTS][48];
    static unsigned next;
    char *out = ring[next++ % SLOTS];
    if (size == 0) {
        snprintf(out, sizeof ring[0], "0x%08" PRIx64 " (empty)", address);
    } else {
        snprintf(out, sizeof ring[0], "0x%08" PRIx64 "..0x%08" PRIx64, address,
                 address + (size - 1));
    }
    return out;
}

/* Merge sort keeps equal addresses in the order they were added, so the
 * overlap message names the earlier segment first; qsort promises no
 * order for equal keys. */
static void sort_segments(flash_segment *v, size_t n, flash_segment *tmp) {
    if (n < 2) {
        return;
    }
    size_t half = n / 2;
    sort_segments(v, half, tmp);
    sort_segments(v + half, n - half, tmp);
    size_t i = 0, j = half, k = 0;
    while (i < half && j < n) {
        tmp[k++] = v[j].address < v[i].address ? v[j++] : v[i++];
    }
    while (i < half) {
        tmp[k++] = v[i++];
    }
    while (j < n) {
        tmp[k++] = v[j++];
    }
    memcpy(v, tmp, n * sizeof *v);
}

int flash_map_check(const char *what, flash_map *m) {
    size_t kept = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (m->v[i].size == 0) {
            continue;
        }
        if (m->v[i].address + (m->v[i].size - 1) < m->v[i].address) {
            diag_error("%s: a segment of %" PRIu64 " bytes at 0x%" PRIx64
                       " runs past the end of the address space",
                       what, m->v[i].size, m->v[i].address);
            return -1;
        }
        m->v[kept++] = m->v[i];
    }
    m->n = kept;
    if (m->n > 1) {
        flash_segment *tmp = xmalloc(m->n * sizeof *tmp);
        sort_segments(m->v, m->n, tmp);
        free(tmp);
    }
    for (size_t i = 1; i < m->n; i++) {
        const flash_segment *a = &m->v[i - 1], *b = &m->v[i];
        if (b->address - a->address < a->size) {
            diag_error("%s: the segments %s and %s overlap", what, flash_range(a->address, a->size),
                       flash_range(b->address, b->size));
            return -1;
        }
    }
    return 0;
}

uint64_t flash_map_low(const flash_map *m) {
    return m->v[0].address;
}

uint64_t flash_map_end(const flash_map *m) {
    const flash_segment *last = &m->v[m->n - 1];
    return last->address + last->size;
}

uint64_t flash_map_bytes(const flash_map *m) {
    uint64_t total = 0;
    for (size_t i = 0; i < m->n; i++) {
        total += m->v[i].size;
    }
    return total;
}

void flash_map_free(flash_map *m) {
    for (size_t i = 0; i < m->n_owned; i++) {
        free(m->owned[i]);
    }
    free(m->owned);
    free(m->v);
    *m = (flash_map){0};
}

int flash_segment_read(const char *what, const flash_segment *s, uint64_t offset, void *buf,
                       size_t n) {
    if (n == 0) {
        return 0;
    }
    if (s->bytes != NULL) {
        memcpy(buf, s->bytes + offset, n);
        return 0;
    }
    errno = 0;
    if (s->read(s->ctx, offset, buf, n) != 0) {
        diag_error("%s: cannot read the bytes for %s: %s", what,
                   flash_range(s->address + offset, n), strerror(errno ? errno : EIO));
        return -1;
    }
    return 0;
}

void flash_cursor_init(flash_cursor *c, const char *what, const flash_map *m) {
    *c = (flash_cursor){.what = what, .m = m};
}

int flash_cursor_fill(flash_cursor *c, uint64_t address, uint8_t *buf, size_t n, uint8_t fill,
                      bool *any) {
    const flash_map *m = c->m;
    uint64_t end = address + n;
    *any = false;
    memset(buf, fill, n);
    /* Segments wholly before the window are done with for good. */
    while (c->i < m->n && m->v[c->i].address + m->v[c->i].size <= address) {
        c->i++;
    }
    for (size_t i = c->i; i < m->n && m->v[i].address < end; i++) {
        const flash_segment *s = &m->v[i];
        uint64_t from = s->address > address ? s->address : address;
        uint64_t to = s->address + s->size < end ? s->address + s->size : end;
        if (flash_segment_read(c->what, s, from - s->address, buf + (from - address),
                               (size_t)(to - from)) != 0) {
            return -1;
        }
        *any = true;
    }
    return 0;
}

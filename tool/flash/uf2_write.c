#include "flash/uf2.h"

#include <inttypes.h>
#include <string.h>

#include "flash/out.h"
#include "util/bytes.h"
#include "util/diag.h"

/* Calls `page` for each 256-byte page the map touches, once each, in
 * order: a page two segments share is one page. */
typedef int (*page_fn)(void *ctx, uint64_t page);

static int each_page(const flash_map *m, page_fn fn, void *ctx) {
    bool any = false;
    uint64_t last = 0;
    for (size_t i = 0; i < m->n; i++) {
        const flash_segment *s = &m->v[i];
        uint64_t first = s->address / UF2_PAYLOAD, end = (s->address + s->size - 1) / UF2_PAYLOAD;
        for (uint64_t pg = any && first <= last ? last + 1 : first; pg <= end; pg++) {
            if (fn(ctx, pg) != 0) {
                return -1;
            }
            any = true;
            last = pg;
        }
    }
    return 0;
}

static int count_page(void *ctx, uint64_t page) {
    (void)page;
    ++*(uint64_t *)ctx;
    return 0;
}

typedef struct {
    flash_out *o;
    flash_cursor cur;
    const flash_opts *opts;
    uint32_t no, total;
} block_writer;

static int write_page(void *ctx, uint64_t page) {
    block_writer *w = ctx;
    uint8_t b[UF2_BLOCK];
    bool any;
    memset(b, 0, sizeof b);
    put_le32(b + 0, UF2_MAGIC_START0);
    put_le32(b + 4, UF2_MAGIC_START1);
    put_le32(b + 8, w->opts->has_family ? UF2_FLAG_FAMILY : 0);
    put_le32(b + 12, (uint32_t)(page * UF2_PAYLOAD));
    put_le32(b + 16, UF2_PAYLOAD);
    put_le32(b + 20, w->no++);
    put_le32(b + 24, w->total);
    put_le32(b + 28, w->opts->has_family ? w->opts->uf2_family : 0);
    if (flash_cursor_fill(&w->cur, page * UF2_PAYLOAD, b + 32, UF2_PAYLOAD, 0xff, &any) != 0) {
        out_fail(w->o);
        return -1;
    }
    put_le32(b + 508, UF2_MAGIC_END);
    out_put(w->o, b, sizeof b);
    return w->o->failed ? -1 : 0;
}

int flash_write_uf2(int fd, const char *what, const flash_map *m, const flash_opts *o) {
    if (m->n > 0 && flash_map_end(m) > ((uint64_t)1 << 32)) {
        const flash_segment *last = &m->v[m->n - 1];
        diag_error("%s: %s lies beyond the 4 GiB UF2 addresses", what,
                   flash_range(last->address, last->size));
        return -1;
    }
    uint64_t total = 0;
    each_page(m, count_page, &total);
    block_writer w = {.o = out_open(fd, what), .opts = o, .total = (uint32_t)total};
    flash_cursor_init(&w.cur, what, m);
    each_page(m, write_page, &w);
    return out_close(w.o);
}

#include "flash/bin.h"

#include <inttypes.h>
#include <stdlib.h>

#include "flash/out.h"
#include "util/diag.h"

/* A bin longer than any flash is two segments far apart, not an image. */
static const uint64_t max_span = (uint64_t)1 << 32;

int flash_write_bin(int fd, const char *what, const flash_map *m, uint8_t fill) {
    if (m->n > 0 && flash_map_end(m) - flash_map_low(m) > max_span) {
        diag_error("%s: %s and %s are too far apart for one bin (it would be %" PRIu64 " bytes)",
                   what, flash_range(m->v[0].address, m->v[0].size),
                   flash_range(m->v[m->n - 1].address, m->v[m->n - 1].size),
                   flash_map_end(m) - flash_map_low(m));
        return -1;
    }
    flash_out *o = out_open(fd, what);
    uint64_t at = m->n ? flash_map_low(m) : 0;
    for (size_t i = 0; i < m->n && !o->failed; i++) {
        const flash_segment *s = &m->v[i];
        out_fill(o, fill, s->address - at);
        out_put_segment(o, what, s);
        at = s->address + s->size;
    }
    return out_close(o);
}

#include "flash/ihex.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include "flash/out.h"
#include "util/alloc.h"
#include "util/diag.h"

enum { PER_RECORD = 16 };

/* One record: its bytes, the checksum that makes their sum zero, CR LF. */
static void record(flash_out *o, uint8_t type, uint16_t offset, const uint8_t *data, size_t n) {
    static const char digits[] = "0123456789ABCDEF";
    uint8_t head[4] = {(uint8_t)n, (uint8_t)(offset >> 8), (uint8_t)offset, type};
    char line[1 + 2 * (4 + 255 + 1) + 2];
    size_t len = 0;
    unsigned sum = 0;
    line[len++] = ':';
    for (size_t i = 0; i < 4 + n; i++) {
        uint8_t b = i < 4 ? head[i] : data[i - 4];
        sum += b;
        line[len++] = digits[b >> 4];
        line[len++] = digits[b & 15];
    }
    uint8_t check = (uint8_t)(0x100 - (sum & 0xff));
    line[len++] = digits[check >> 4];
    line[len++] = digits[check & 15];
    line[len++] = '\r';
    line[len++] = '\n';
    out_put(o, line, len);
}

int flash_write_ihex(int fd, const char *what, const flash_map *m) {
    if (m->n > 0 && flash_map_end(m) > ((uint64_t)1 << 32)) {
        const flash_segment *last = &m->v[m->n - 1];
        diag_error("%s: %s lies beyond the 4 GiB Intel HEX addresses", what,
                   flash_range(last->address, last->size));
        return -1;
    }
    flash_out *o = out_open(fd, what);
    uint8_t *window = xmalloc(0x10000);
    bool have_upper = false;
    uint32_t upper = 0;
    for (size_t i = 0; i < m->n && !o->failed; i++) {
        const flash_segment *s = &m->v[i];
        /* A window runs to the next 64 KiB boundary at most: one read per
         * upper address, and no record needs bytes from two reads. */
        for (uint64_t off = 0; off < s->size && !o->failed;) {
            uint32_t at = (uint32_t)(s->address + off);
            uint64_t len = 0x10000 - (at & 0xffff);
            len = s->size - off < len ? s->size - off : len;
            if (flash_segment_read(what, s, off, window, (size_t)len) != 0) {
                out_fail(o);
                break;
            }
            if (!have_upper || at >> 16 != upper) {
                upper = at >> 16;
                have_upper = true;
                uint8_t ula[2] = {(uint8_t)(upper >> 8), (uint8_t)upper};
                record(o, 0x04, 0, ula, 2);
            }
            for (size_t k = 0; k < len; k += PER_RECORD) {
                size_t n = len - k < PER_RECORD ? (size_t)len - k : PER_RECORD;
                record(o, 0x00, (uint16_t)(at + k), window + k, n);
            }
            off += len;
        }
    }
    free(window);
    record(o, 0x01, 0, NULL, 0);
    return out_close(o);
}

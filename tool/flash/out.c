#include "flash/out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/alloc.h"
#include "util/diag.h"
#include "util/io.h"

flash_out *out_open(int fd, const char *what) {
    flash_out *o = xmalloc(sizeof *o);
    o->fd = fd;
    o->what = what;
    o->failed = false;
    o->written = 0;
    o->crc = crc32(0L, Z_NULL, 0);
    o->len = 0;
    return o;
}

static void flush(flash_out *o) {
    if (!o->failed && o->len > 0 && write_all(o->fd, o->buf, o->len) != 0) {
        diag_error("%s: cannot write: %s", o->what, strerror(errno));
        o->failed = true;
    }
    o->len = 0;
}

void out_put(flash_out *o, const void *p, size_t n) {
    if (o->failed) {
        return;
    }
    const uint8_t *b = p;
    o->written += n;
    while (n > 0) {
        size_t room = sizeof o->buf - o->len;
        size_t take = n < room ? n : room;
        memcpy(o->buf + o->len, b, take);
        /* zlib's length is a uInt; a buffer-sized piece always fits. */
        o->crc = crc32(o->crc, b, (uInt)take);
        o->len += take;
        b += take;
        n -= take;
        if (o->len == sizeof o->buf) {
            flush(o);
        }
    }
}

void out_put_segment(flash_out *o, const char *what, const flash_segment *s) {
    for (uint64_t off = 0; off < s->size && !o->failed; off += FLASH_CHUNK) {
        size_t n = s->size - off < FLASH_CHUNK ? (size_t)(s->size - off) : FLASH_CHUNK;
        if (flash_segment_read(what, s, off, o->chunk, n) != 0) {
            out_fail(o);
            return;
        }
        out_put(o, o->chunk, n);
    }
}

void out_fill(flash_out *o, uint8_t byte, uint64_t n) {
    uint8_t block[4096];
    memset(block, byte, sizeof block);
    while (n > 0 && !o->failed) {
        size_t take = n < sizeof block ? (size_t)n : sizeof block;
        out_put(o, block, take);
        n -= take;
    }
}

void out_fail(flash_out *o) {
    o->failed = true;
}

int out_close(flash_out *o) {
    flush(o);
    int rc = o->failed ? -1 : 0;
    free(o);
    return rc;
}

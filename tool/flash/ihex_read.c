#include "flash/ihex.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flash/pieces.h"
#include "util/alloc.h"
#include "util/bytes.h"
#include "util/diag.h"

typedef struct {
    const char *what;
    unsigned long line;
    uint8_t *data; /* every record's data bytes, decoded, end to end */
    size_t used;
    flash_pieces pieces;
    bool linear; /* the base came from a type-04 record, or none yet */
    uint32_t base;
    bool ended;
} hex_reader;

static bool blank(uint8_t c) {
    return c == ' ' || c == '\t' || c == '\r';
}

static int fail(const hex_reader *r, const char *fmt, ...) PRINTF_LIKE(2, 3);

static int fail(const hex_reader *r, const char *fmt, ...) {
    src_pos at = {r->what, (unsigned)r->line, 0};
    va_list ap;
    va_start(ap, fmt);
    diag_verror_at(&at, fmt, ap);
    va_end(ap);
    return -1;
}

static int data_record(hex_reader *r, uint16_t offset, const uint8_t *bytes, size_t count) {
    if (r->linear) {
        uint64_t at = (uint64_t)r->base + offset;
        if (at + count > ((uint64_t)1 << 32)) {
            return fail(r, "the record's data runs past the 4 GiB an Intel HEX file addresses");
        }
        pieces_add(&r->pieces, at, count, bytes, r->line);
        return 0;
    }
    /* Under a segment base the offset wraps within the 64 KiB segment. */
    size_t first = count < 0x10000u - offset ? count : 0x10000u - offset;
    pieces_add(&r->pieces, (uint64_t)r->base + offset, first, bytes, r->line);
    pieces_add(&r->pieces, r->base, count - first, bytes + first, r->line);
    return 0;
}

/* One line, without its LF: blank, or a whole record. */
static int parse_line(hex_reader *r, const uint8_t *s, size_t len) {
    while (len > 0 && blank(s[len - 1])) {
        len--;
    }
    if (len == 0) {
        return 0;
    }
    if (r->ended) {
        return fail(r, "a record after the end-of-file record");
    }
    if (s[0] != ':') {
        return fail(r, "a record starts with ':', not '%s'", shown_n((const char *)s, 1));
    }
    size_t digits = len - 1;
    for (size_t i = 1; i < len; i++) {
        if (hex_digit((char)s[i]) < 0) {
            return fail(r, "'%s' at column %zu is not a hex digit", shown_n((const char *)s + i, 1),
                        i + 1);
        }
    }
    if (digits % 2 != 0 || digits < 10) {
        return fail(r, digits % 2 ? "a record has an odd number of hex digits"
                                  : "a record is shorter than its 5-byte frame");
    }
    uint8_t *b = r->data + r->used; /* decoded in place; kept only for data */
    size_t nb = digits / 2;
    unsigned sum = 0;
    hex_decode((const char *)s + 1, nb, b);
    for (size_t i = 0; i < nb; i++) {
        sum += b[i];
    }
    size_t count = b[0];
    if (nb != count + 5) {
        return fail(r, "the record's length byte says %zu data bytes, the line holds %zu", count,
                    nb - 5);
    }
    if ((sum & 0xff) != 0) {
        return fail(r, "checksum 0x%02X does not match the record (it should be 0x%02X)", b[nb - 1],
                    (unsigned)((b[nb - 1] - sum) & 0xff));
    }
    uint16_t offset = (uint16_t)(b[1] << 8 | b[2]);
    uint8_t type = b[3];
    static const uint8_t want[6] = {0, 0, 2, 4, 2, 4}; /* count by type, but for data */
    if (type > 5) {
        return fail(r, "record type 0x%02X is not one of 00 to 05", type);
    }
    if (type != 0 && count != want[type]) {
        return fail(r, "a type-%02X record holds %u data bytes, not %zu", type, want[type], count);
    }
    switch (type) {
    case 0:
        /* Keep the data where it was decoded: move it to the front. */
        memmove(b, b + 4, count);
        r->used += count;
        return data_record(r, offset, b, count);
    case 1:
        r->ended = true;
        return 0;
    case 2:
        r->linear = false;
        r->base = (uint32_t)(b[4] << 8 | b[5]) << 4;
        return 0;
    case 4:
        r->linear = true;
        r->base = (uint32_t)(b[4] << 8 | b[5]) << 16;
        return 0;
    default: /* 03, 05: where a program starts; an image has no use for it */
        return 0;
    }
}

int flash_read_ihex(const char *what, const uint8_t *p, size_t n, flash_map *out) {
    /* Data bytes take two digits each and a record has a frame around
     * them, so half the file always holds every record decoded. */
    hex_reader r = {.what = what, .data = xmalloc(n / 2 + 8), .linear = true};
    int rc = 0;
    for (size_t pos = 0; pos < n && rc == 0;) {
        const uint8_t *eol = memchr(p + pos, '\n', n - pos);
        size_t len = eol ? (size_t)(eol - (p + pos)) : n - pos;
        r.line++;
        rc = parse_line(&r, p + pos, len);
        pos += len + (eol != NULL);
    }
    if (rc == 0 && !r.ended) {
        diag_error("%s: no end-of-file record (:00000001FF)", what);
        rc = -1;
    }
    if (rc == 0) {
        rc = pieces_to_map(what, "line", &r.pieces, out);
    }
    pieces_free(&r.pieces);
    free(r.data);
    return rc;
}

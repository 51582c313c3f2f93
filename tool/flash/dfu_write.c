#include "flash/dfu.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flash/out.h"
#include "util/bytes.h"
#include "util/diag.h"

enum { PREFIX = 11, TARGET = 274, ELEMENT = 8, SUFFIX = 16, NAME = 255 };

int flash_write_dfu(int fd, const char *what, const flash_map *m, const flash_opts *o) {
    const char *name = o->dfu_target_name ? o->dfu_target_name : "";
    if (strlen(name) >= NAME) {
        diag_error("%s: the DfuSe target name is %zu bytes long (at most %d)", what, strlen(name),
                   NAME - 1);
        return -1;
    }
    if (o->dfu_alt > 255) {
        diag_error("%s: alternate setting %u is not one of 0 to 255", what, o->dfu_alt);
        return -1;
    }
    if (m->n > 0 && flash_map_end(m) > ((uint64_t)1 << 32)) {
        const flash_segment *last = &m->v[m->n - 1];
        diag_error("%s: %s lies beyond the 4 GiB DfuSe addresses", what,
                   flash_range(last->address, last->size));
        return -1;
    }
    /* The sizes go first in the file, so they come from the map. */
    uint64_t elements = 0;
    for (size_t i = 0; i < m->n; i++) {
        elements += ELEMENT + m->v[i].size;
    }
    if (PREFIX + TARGET + elements + SUFFIX > UINT32_MAX || m->n > UINT32_MAX) {
        diag_error("%s: %" PRIu64 " bytes of elements do not fit a DfuSe file", what, elements);
        return -1;
    }

    flash_out *out = out_open(fd, what);
    uint8_t head[PREFIX + TARGET];
    memset(head, 0, sizeof head);
    memcpy(head, "DfuSe", 5);
    head[5] = 0x01;
    put_le32(head + 6, (uint32_t)(PREFIX + TARGET + elements));
    head[10] = 1;
    uint8_t *t = head + PREFIX;
    memcpy(t, "Target", 6);
    t[6] = (uint8_t)o->dfu_alt;
    put_le32(t + 7, name[0] != '\0');
    memcpy(t + 11, name, strlen(name));
    put_le32(t + 266, (uint32_t)elements);
    put_le32(t + 270, (uint32_t)m->n);
    out_put(out, head, sizeof head);

    for (size_t i = 0; i < m->n && !out->failed; i++) {
        const flash_segment *s = &m->v[i];
        uint8_t el[ELEMENT];
        put_le32(el, (uint32_t)s->address);
        put_le32(el + 4, (uint32_t)s->size);
        out_put(out, el, sizeof el);
        out_put_segment(out, what, s);
    }

    uint8_t suffix[SUFFIX];
    put_le16(suffix, 0xffff); /* bcdDevice: any release */
    put_le16(suffix + 2, o->dfu_pid);
    put_le16(suffix + 4, o->dfu_vid);
    put_le16(suffix + 6, 0x011a); /* DfuSe's bcdDFU */
    memcpy(suffix + 8, "UFD", 3);
    suffix[11] = SUFFIX;
    out_put(out, suffix, 12);
    /* DFU's CRC is zlib's without the final inversion. */
    put_le32(suffix + 12, (uint32_t)(out->crc ^ 0xffffffffu));
    out_put(out, suffix + 12, 4);
    return out_close(out);
}

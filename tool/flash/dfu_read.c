#include "flash/dfu.h"

#include <inttypes.h>
#include <string.h>
#include <zlib.h>

#include "flash/pieces.h"
#include "util/bytes.h"
#include "util/diag.h"

enum { PREFIX = 11, TARGET = 274, ELEMENT = 8, SUFFIX = 16 };

/* zlib takes lengths as uInt: feed it a piece at a time. */
static uint32_t dfu_crc(const uint8_t *p, size_t n) {
    unsigned long crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt take = n > (1u << 30) ? (1u << 30) : (uInt)n;
        crc = crc32(crc, p, take);
        p += take;
        n -= take;
    }
    return (uint32_t)(crc ^ 0xffffffffu);
}

static int check_suffix(const char *what, const uint8_t *p, size_t n, dfu_info *facts,
                        size_t *body) {
    if (n < PREFIX + SUFFIX) {
        diag_error("%s: %zu bytes is too short for a DfuSe file (a prefix and a suffix take %d)",
                   what, n, PREFIX + SUFFIX);
        return -1;
    }
    const uint8_t *s = p + n - SUFFIX;
    if (memcmp(s + 8, "UFD", 3) != 0) {
        diag_error("%s: no DFU suffix (no \"UFD\" signature at offset 0x%zx)", what,
                   n - SUFFIX + 8);
        return -1;
    }
    if (s[11] < SUFFIX || s[11] > n - PREFIX) {
        diag_error("%s: the DFU suffix says it is %u bytes long (offset 0x%zx)", what, s[11],
                   n - SUFFIX + 11);
        return -1;
    }
    uint32_t stored = get_le32(s + 12), computed = dfu_crc(p, n - 4);
    if (stored != computed) {
        diag_error("%s: the DFU suffix's CRC is 0x%08" PRIx32 ", the file's is 0x%08" PRIx32
                   " (corrupt or changed after it was made)",
                   what, stored, computed);
        return -1;
    }
    facts->bcd_device = get_le16(s);
    facts->pid = get_le16(s + 2);
    facts->vid = get_le16(s + 4);
    facts->bcd_dfu = get_le16(s + 6);
    if (facts->bcd_dfu != 0x011a && facts->bcd_dfu != 0x0100) {
        diag_error("%s: bcdDFU 0x%04x in the DFU suffix (a DfuSe file has 0x011a)", what,
                   facts->bcd_dfu);
        return -1;
    }
    *body = n - s[11];
    return 0;
}

int flash_read_dfu(const char *what, const uint8_t *p, size_t n, flash_map *out, dfu_info *info) {
    dfu_info facts = {0};
    size_t body;
    if (check_suffix(what, p, n, &facts, &body) != 0) {
        return -1;
    }
    if (memcmp(p, "DfuSe", 5) != 0) {
        diag_error("%s: no \"DfuSe\" signature at offset 0", what);
        return -1;
    }
    if (p[5] != 0x01) {
        diag_error("%s: DfuSe version %u (only version 1 exists)", what, p[5]);
        return -1;
    }
    uint32_t image_size = get_le32(p + 6);
    if (image_size != body) {
        diag_error("%s: the DfuSe prefix says the image is %" PRIu32
                   " bytes, the file holds %zu before its suffix",
                   what, image_size, body);
        return -1;
    }
    facts.targets = p[10];
    if (facts.targets == 0) {
        diag_error("%s: the DfuSe prefix says the file holds no targets", what);
        return -1;
    }
    flash_pieces ps = {0};
    size_t pos = PREFIX;
    uint64_t element = 0;
    int rc = 0;
    for (unsigned t = 1; t <= facts.targets && rc == 0; t++) {
        rc = -1;
        if (body - pos < TARGET) {
            diag_error("%s: target %u at offset 0x%zx: the file ends inside its prefix", what, t,
                       pos);
            break;
        }
        const uint8_t *tp = p + pos;
        if (memcmp(tp, "Target", 6) != 0) {
            diag_error("%s: target %u at offset 0x%zx: no \"Target\" signature", what, t, pos);
            break;
        }
        uint32_t declared = get_le32(tp + 266), count = get_le32(tp + 270);
        if (t == 1) {
            facts.alt = tp[6];
            if (get_le32(tp + 7) != 0) {
                memcpy(facts.name, tp + 11, 255);
                facts.name[255] = '\0';
            }
        }
        size_t start = pos += TARGET;
        rc = 0;
        /* Each element takes at least its 8-byte header, so a hostile
         * count runs out of file long before it runs out of loop. */
        for (uint32_t e = 0; e < count && rc == 0; e++) {
            element++;
            if (body - pos < ELEMENT) {
                diag_error("%s: element %" PRIu64 " (target %u) at offset 0x%zx: the file ends "
                           "inside its header",
                           what, element, t, pos);
                rc = -1;
                break;
            }
            uint32_t addr = get_le32(p + pos), size = get_le32(p + pos + 4);
            if (size > body - pos - ELEMENT) {
                diag_error("%s: element %" PRIu64 " (target %u) at offset 0x%zx: %" PRIu32
                           " bytes, but only %zu are left before the suffix",
                           what, element, t, pos, size, body - pos - ELEMENT);
                rc = -1;
                break;
            }
            if ((uint64_t)addr + size > ((uint64_t)1 << 32)) {
                diag_error("%s: element %" PRIu64 " (target %u): %" PRIu32 " bytes at 0x%08" PRIx32
                           " run past 4 GiB",
                           what, element, t, size, addr);
                rc = -1;
                break;
            }
            pieces_add(&ps, addr, size, p + pos + ELEMENT, element);
            pos += ELEMENT + size;
        }
        if (rc == 0 && pos - start != declared) {
            diag_error("%s: target %u says its elements take %" PRIu32 " bytes, they take %zu",
                       what, t, declared, pos - start);
            rc = -1;
        }
    }
    if (rc == 0 && pos != body) {
        diag_error("%s: %zu bytes between the last target and the suffix (offset 0x%zx)", what,
                   body - pos, pos);
        rc = -1;
    }
    if (rc == 0) {
        rc = pieces_to_map(what, "element", &ps, out);
    }
    pieces_free(&ps);
    if (rc == 0 && info != NULL) {
        *info = facts;
    }
    return rc;
}

#include <inttypes.h>
#include <stdio.h>

#include "flash/pieces.h"
#include "flash/uf2.h"
#include "util/bytes.h"
#include "util/diag.h"

enum { DATA_MAX = 476 };

/* A block's family, or none: all blocks of a file must agree on it. */
static uint64_t family_key(uint32_t flags, uint32_t family) {
    return flags & UF2_FLAG_FAMILY ? family : (uint64_t)1 << 32;
}

static const char *family_text(uint32_t flags, uint32_t family) {
    static char ring[2][16];
    static unsigned next;
    if (!(flags & UF2_FLAG_FAMILY)) {
        return "none";
    }
    char *out = ring[next++ % 2];
    snprintf(out, sizeof ring[0], "0x%08" PRIx32, family);
    return out;
}

int flash_read_uf2(const char *what, const uint8_t *p, size_t n, flash_map *out, uf2_info *info) {
    uf2_info facts = {0};
    if (n % UF2_BLOCK != 0) {
        diag_error("%s: %zu bytes is not a whole number of 512-byte UF2 blocks (%zu left over)",
                   what, n, n % UF2_BLOCK);
        return -1;
    }
    flash_pieces ps = {0};
    uint32_t expect_no = 0, count = 0, first_flags = 0;
    int rc = 0;
    for (size_t off = 0; off < n && rc == 0; off += UF2_BLOCK) {
        const uint8_t *b = p + off;
        size_t index = off / UF2_BLOCK;
        uint32_t flags = get_le32(b + 8), addr = get_le32(b + 12), size = get_le32(b + 16);
        uint32_t no = get_le32(b + 20), total = get_le32(b + 24), family = get_le32(b + 28);
        char where[64];
        snprintf(where, sizeof where, "block %zu (offset 0x%zx)", index, off);
        rc = -1;
        if (get_le32(b) != UF2_MAGIC_START0 || get_le32(b + 4) != UF2_MAGIC_START1) {
            diag_error("%s: %s: no UF2 start magic", what, where);
        } else if (get_le32(b + 508) != UF2_MAGIC_END) {
            diag_error("%s: %s: no UF2 end magic", what, where);
        } else if (flags & UF2_FLAG_FILE_CONTAINER) {
            diag_error("%s: %s: a file container block (flag 0x1000), not flash contents", what,
                       where);
        } else if (size == 0 || size > (flags & UF2_FLAG_MD5 ? DATA_MAX - 24 : DATA_MAX)) {
            diag_error("%s: %s: a payload of %" PRIu32 " bytes (UF2 holds 1 to %d)", what, where,
                       size, flags & UF2_FLAG_MD5 ? DATA_MAX - 24 : DATA_MAX);
        } else if ((uint64_t)addr + size > ((uint64_t)1 << 32)) {
            diag_error("%s: %s: %" PRIu32 " bytes at 0x%08" PRIx32 " run past 4 GiB", what, where,
                       size, addr);
        } else if (total == 0 || no >= total) {
            diag_error("%s: %s: block number %" PRIu32 " of %" PRIu32, what, where, no, total);
        } else if (no != expect_no || (expect_no > 0 && total != count)) {
            if (no != expect_no) {
                diag_error("%s: %s: block number %" PRIu32 ", expected %" PRIu32
                           " (blocks out of order or missing)",
                           what, where, no, expect_no);
            } else {
                diag_error("%s: %s: says the file has %" PRIu32
                           " blocks, earlier ones said %" PRIu32,
                           what, where, total, count);
            }
        } else if (index > 0 &&
                   family_key(flags, family) != family_key(first_flags, facts.family)) {
            diag_error("%s: %s: family %s, earlier blocks have %s", what, where,
                       family_text(flags, family), family_text(first_flags, facts.family));
        } else {
            rc = 0;
        }
        if (rc != 0) {
            break;
        }
        if (index == 0) {
            facts.has_family = flags & UF2_FLAG_FAMILY;
            facts.family = facts.has_family ? family : 0;
            first_flags = flags;
        }
        count = total;
        expect_no = no + 1 == total ? 0 : no + 1;
        facts.blocks++;
        if (flags & UF2_FLAG_NOT_MAIN_FLASH) {
            facts.skipped++;
            continue;
        }
        pieces_add(&ps, addr, size, b + 32, index);
    }
    if (rc == 0 && expect_no != 0) {
        diag_error("%s: the file ends after block number %" PRIu32 " of %" PRIu32
                   " (blocks missing)",
                   what, expect_no - 1, count);
        rc = -1;
    }
    if (rc == 0) {
        rc = pieces_to_map(what, "block", &ps, out);
    }
    pieces_free(&ps);
    if (rc == 0 && info != NULL) {
        *info = facts;
    }
    return rc;
}

#include "deploy/partition.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flash/esp_parts.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/io.h"

/* Firmware ELF files carry debug information; tables are a few lines. */
#define FIRMWARE_READ_LIMIT ((size_t)1 << 30)
#define TABLE_READ_LIMIT ((size_t)1 << 20)
enum { DEFAULT_ERASE_BLOCK = 4096, LISTED_SYMBOLS = 8 };

char *partition_symbol(unsigned part, const char *what) {
    return xasprintf("_micropy_hw_romfs_part%u_%s", part, what);
}

/* "a, b, c, and 4 more": the names of the ROMFS symbols an ELF has, each
 * once, in table order. */
static char *symbol_names(const elf_info *info) {
    char *list = xstrdup("");
    size_t listed = 0, more = info->symbols_omitted;
    for (size_t i = 0; i < info->n_symbols; i++) {
        const char *name = info->symbols[i].name;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            seen = !strcmp(info->symbols[j].name, name);
        }
        if (seen) {
            continue;
        }
        if (listed == LISTED_SYMBOLS) {
            more++;
            continue;
        }
        char *longer = xasprintf("%s%s%s", list, listed ? ", " : "", shown(name));
        free(list);
        list = longer;
        listed++;
    }
    if (more > 0) {
        char *longer = xasprintf("%s, and %zu more", list, more);
        free(list);
        list = longer;
    }
    return list;
}

static void no_symbol(const char *elf, const elf_info *info, const char *symbol, unsigned part) {
    if (info->n_symbols == 0) {
        diag_error("%s: no symbol %s, so no ROMFS partition %u; it has no symbol naming romfs "
                   "at all (stripped? give the ELF the firmware was linked as)",
                   shown(elf), symbol, part);
        return;
    }
    char *names = symbol_names(info);
    diag_error("%s: no symbol %s, so no ROMFS partition %u; the ROMFS symbols it has: %s",
               shown(elf), symbol, part, names);
    free(names);
}

static int from_firmware(const deploy_request *r, partition *p) {
    char *data;
    size_t n;
    if (read_input_file(r->firmware, "firmware", FIRMWARE_READ_LIMIT, &data, &n) != 0) {
        return -1;
    }
    int rc = flash_read_elf(r->firmware, (const uint8_t *)data, n, &p->fw_bytes, &p->fw);
    free(data);
    if (rc != 0) {
        return -1;
    }
    p->has_firmware = true;
    p->firmware = r->firmware;
    char *start_name = partition_symbol(r->part, "start");
    char *size_name = partition_symbol(r->part, "size");
    const elf_symbol *start = elf_info_symbol(&p->fw, start_name);
    const elf_symbol *size = elf_info_symbol(&p->fw, size_name);
    rc = -1;
    if (start == NULL) {
        no_symbol(r->firmware, &p->fw, start_name, r->part);
    } else if (size == NULL) {
        no_symbol(r->firmware, &p->fw, size_name, r->part);
    } else if (!size->absolute) {
        diag_error("%s: %s is not an absolute symbol (it is 0x%08" PRIx64
                   ", an address in a section), so it is not partition %u's size",
                   shown(r->firmware), size_name, size->value, r->part);
    } else {
        p->address = start->value;
        p->has_size = true;
        p->size = size->value;
        p->name = xasprintf("partition %u of %s", r->part, shown(r->firmware));
        rc = 0;
    }
    free(start_name);
    free(size_name);
    return rc;
}

static int from_table(const deploy_request *r, partition *p) {
    char *text;
    size_t n;
    if (read_input_file(r->table, "partition table", TABLE_READ_LIMIT, &text, &n) != 0) {
        return -1;
    }
    esp_table t = {0};
    const esp_partition *found;
    int rc = esp_table_parse(r->table, text, n, ESP_TABLE_OFFSET, &t);
    if (rc == 0) {
        rc = esp_table_romfs(r->table, &t, r->part_name, &found);
    }
    if (rc == 0) {
        p->address = found->offset;
        p->has_size = true;
        p->size = found->size;
        p->name = xasprintf("partition '%s' of %s", shown(found->name), shown(r->table));
    }
    esp_table_free(&t);
    free(text);
    return rc;
}

int partition_resolve(const deploy_request *r, partition *p) {
    memset(p, 0, sizeof *p);
    p->erase_block = r->erase_block ? r->erase_block : DEFAULT_ERASE_BLOCK;
    switch (r->where) {
    case WHERE_FIRMWARE:
        return from_firmware(r, p);
    case WHERE_TABLE:
        return from_table(r, p);
    case WHERE_MANIFEST:
        p->name = xasprintf("image.partition of %s", shown(r->manifest));
        break;
    case WHERE_ADDRESS:
    case WHERE_NONE:
        p->name = xstrdup("the partition");
        break;
    }
    p->address = r->address;
    p->has_size = r->has_size;
    p->size = r->size;
    return 0;
}

void partition_free(partition *p) {
    free(p->name);
    elf_info_free(&p->fw);
    flash_map_free(&p->fw_bytes);
    memset(p, 0, sizeof *p);
}

#include "deploy/request.h"

#include <string.h>

#include "util/alloc.h"

void deploy_request_init(deploy_request *r) {
    memset(r, 0, sizeof *r);
    r->opts = flash_opts_default();
}

void deploy_use_manifest(deploy_request *r, const manifest *m) {
    const partition_spec *p = &m->partition;
    if (r->where == WHERE_NONE && p->has_address) {
        r->where = WHERE_MANIFEST;
        r->address = p->address;
        r->manifest = m->path;
    }
    if ((r->where == WHERE_MANIFEST || r->where == WHERE_ADDRESS) && !r->has_size &&
        m->has_capacity) {
        r->has_size = true; /* image.partition.size, image.size or --size: one capacity */
        r->size = m->capacity;
    }
    if (r->erase_block == 0) {
        r->erase_block = p->erase_block;
    }
}

static bool any(const flash_format *formats, size_t n, flash_format f) {
    for (size_t i = 0; i < n; i++) {
        if (formats[i] == f) {
            return true;
        }
    }
    return false;
}

char *deploy_check_formats(const deploy_request *r, const flash_format *formats, size_t n) {
    if (r->base != NULL && r->pad) {
        return xstrdup("--pad and --base: a delta's erase blocks are whole already");
    }
    if (r->base != NULL && r->merge != NULL) {
        return xstrdup("--merge and --base: a delta holds the image's changed blocks alone");
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = flash_format_name(formats[i]);
        if (r->base != NULL && (formats[i] == FLASH_BIN || formats[i] == FLASH_ROMFS)) {
            return xstrdup("--base writes a delta, which a bin cannot hold (it has no addresses): "
                           "write hex, uf2, dfu or elf");
        }
        if (r->merge != NULL && formats[i] != FLASH_HEX && formats[i] != FLASH_UF2 &&
            formats[i] != FLASH_DFU) {
            return xasprintf("--merge writes hex, uf2 or dfu, not %s",
                             formats[i] == FLASH_ROMFS ? "bin" : name);
        }
    }
    if (r->opts.has_family && !any(formats, n, FLASH_UF2)) {
        return xstrdup("--uf2-family is for a uf2 file, and none is written");
    }
    if ((r->has_dfu_alt || r->has_dfu_ids) && !any(formats, n, FLASH_DFU)) {
        return xasprintf("--%s is for a dfu file, and none is written",
                         r->has_dfu_alt ? "dfu-alt" : "dfu-vid-pid");
    }
    return NULL;
}

flash_format deploy_format_of(const char *out, flash_format given) {
    return given != FLASH_UNKNOWN ? given : flash_format_from_name(out);
}

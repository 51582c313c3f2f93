#include "flash/formats.h"

#include <elf.h>
#include <string.h>
#include <strings.h>

#include "flash/bin.h"
#include "flash/dfu.h"
#include "flash/elf.h"
#include "flash/ihex.h"
#include "flash/uf2.h"
#include "util/diag.h"

static const struct {
    flash_format f;
    const char *name;
} names[] = {
    {FLASH_BIN, "bin"}, {FLASH_HEX, "hex"}, {FLASH_UF2, "uf2"},
    {FLASH_DFU, "dfu"}, {FLASH_ELF, "elf"},
};

static bool starts(const uint8_t *p, size_t n, const char *magic, size_t len) {
    return n >= len && memcmp(p, magic, len) == 0;
}

flash_format flash_detect(const uint8_t *p, size_t n) {
    if (starts(p, n, "\xd2\xcd\x31", 3)) {
        return FLASH_ROMFS;
    }
    /* Both UF2 magics: "UF2\n" alone could open a text file. */
    if (starts(p, n, "UF2\n\x57\x51\x5d\x9e", 8)) {
        return FLASH_UF2;
    }
    if (starts(p, n, "DfuSe", 5)) {
        return FLASH_DFU;
    }
    if (starts(p, n,
               "\x7f"
               "ELF",
               4)) {
        return FLASH_ELF;
    }
    if (starts(p, n, ":", 1)) {
        return FLASH_HEX;
    }
    return FLASH_UNKNOWN;
}

flash_format flash_format_from_name(const char *path) {
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base + 1 : path, '.');
    if (dot == NULL) {
        return FLASH_UNKNOWN;
    }
    static const struct {
        const char *ext;
        flash_format f;
    } exts[] = {
        {".bin", FLASH_BIN},  {".romfs", FLASH_BIN}, {".img", FLASH_BIN}, {".hex", FLASH_HEX},
        {".ihex", FLASH_HEX}, {".uf2", FLASH_UF2},   {".dfu", FLASH_DFU}, {".elf", FLASH_ELF},
    };
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        if (strcasecmp(dot, exts[i].ext) == 0) {
            return exts[i].f;
        }
    }
    return FLASH_UNKNOWN;
}

const char *flash_format_name(flash_format f) {
    if (f == FLASH_ROMFS) {
        return "romfs";
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].f == f) {
            return names[i].name;
        }
    }
    return "unknown";
}

flash_format flash_format_parse(const char *name) {
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            return names[i].f;
        }
    }
    return FLASH_UNKNOWN;
}

flash_opts flash_opts_default(void) {
    return (flash_opts){
        .fill = 0xff,
        .dfu_vid = 0xffff,
        .dfu_pid = 0xffff,
        .dfu_target_name = "ROMFS",
        .elf_machine = EM_ARM,
    };
}

int flash_write(flash_format f, int fd, const char *what, const flash_map *m, const flash_opts *o) {
    switch (f) {
    case FLASH_ROMFS:
    case FLASH_BIN:
        return flash_write_bin(fd, what, m, o->fill);
    case FLASH_HEX:
        return flash_write_ihex(fd, what, m);
    case FLASH_UF2:
        return flash_write_uf2(fd, what, m, o);
    case FLASH_DFU:
        return flash_write_dfu(fd, what, m, o);
    case FLASH_ELF:
        return flash_write_elf(fd, what, m, o);
    case FLASH_UNKNOWN:
        break;
    }
    diag_error("%s: no flash format to write", what);
    return -1;
}

int flash_read(flash_format f, const char *what, const uint8_t *p, size_t n, uint64_t bin_address,
               flash_map *out) {
    switch (f) {
    case FLASH_ROMFS:
    case FLASH_BIN:
        flash_map_add(out, bin_address, n, p);
        return flash_map_check(what, out);
    case FLASH_HEX:
        return flash_read_ihex(what, p, n, out);
    case FLASH_UF2:
        return flash_read_uf2(what, p, n, out, NULL);
    case FLASH_DFU:
        return flash_read_dfu(what, p, n, out, NULL);
    case FLASH_ELF:
        return flash_read_elf(what, p, n, out, NULL);
    case FLASH_UNKNOWN:
        break;
    }
    diag_error("%s: not a flash file this tool reads", what);
    return -1;
}

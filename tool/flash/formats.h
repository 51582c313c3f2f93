/* The flash-file formats as one family: which one a file is (from its
 * first bytes or its name), the options that shape them, and one writer
 * and one reader per format behind a single call each.
 *
 * Every writer streams the whole map to a descriptor (memory does not
 * grow with the data) and every reader takes a whole file already in
 * memory; both return -1 with one error line naming `what`. */
#ifndef ROMFS_FLASH_FORMATS_H
#define ROMFS_FLASH_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/segment.h"

typedef enum {
    FLASH_UNKNOWN = 0,
    FLASH_ROMFS, /* a raw ROMFS image: a bin that starts with d2 cd 31 */
    FLASH_BIN,
    FLASH_HEX,
    FLASH_UF2,
    FLASH_DFU,
    FLASH_ELF,
} flash_format;

/* From the first bytes of a file: ROMFS (d2 cd 31), Intel HEX (':'), UF2
 * ("UF2\n" then the second magic), DfuSe ("DfuSe"), ELF ("\x7fELF");
 * FLASH_UNKNOWN for anything else (a bin cannot be told by its bytes). */
flash_format flash_detect(const uint8_t *p, size_t n);
/* From a file name's extension, case-insensitively: .bin (and .romfs,
 * .img as raw bytes too), .hex/.ihex, .uf2, .dfu, .elf; else FLASH_UNKNOWN. */
flash_format flash_format_from_name(const char *path);
/* "bin", "hex", "uf2", "dfu", "elf" ("romfs" for a raw image, "unknown"). */
const char *flash_format_name(flash_format f);
/* The inverse for the command line: one of the five names, any case;
 * FLASH_UNKNOWN otherwise. */
flash_format flash_format_parse(const char *name);

typedef struct {
    uint8_t fill;    /* bin: gaps; default 0xff, erased flash */
    bool has_family; /* UF2: set flag 0x2000 and uf2_family */
    uint32_t uf2_family;
    unsigned dfu_alt;            /* DfuSe: the target's alternate setting, 0..255; default 0 */
    uint16_t dfu_vid, dfu_pid;   /* DFU suffix; default 0xffff, any device */
    const char *dfu_target_name; /* default "ROMFS"; "" for an unnamed target */
    uint16_t elf_machine;        /* default EM_ARM */
    bool elf64, elf_big_endian;  /* default ELF32, little-endian */
} flash_opts;

/* The defaults above. */
flash_opts flash_opts_default(void);

/* `m` must have passed flash_map_check. FLASH_ROMFS writes as FLASH_BIN. */
int flash_write(flash_format f, int fd, const char *what, const flash_map *m, const flash_opts *o);
/* A map that owns its bytes, checked (sorted, no overlaps). A raw ROMFS
 * image or a bin comes back as one segment at `bin_address`, borrowing
 * `p`. For ELF this is flash_read_elf without the facts. */
int flash_read(flash_format f, const char *what, const uint8_t *p, size_t n, uint64_t bin_address,
               flash_map *out);

#endif

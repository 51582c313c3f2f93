/* UF2, the format of drag-and-drop bootloaders (RP2040/RP2350, SAMD,
 * nRF52, ESP32-S2/S3 with TinyUF2): 512-byte blocks, each self-contained. */
#ifndef ROMFS_FLASH_UF2_H
#define ROMFS_FLASH_UF2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/formats.h"
#include "flash/segment.h"

#define UF2_MAGIC_START0 0x0A324655u /* "UF2\n" */
#define UF2_MAGIC_START1 0x9E5D5157u
#define UF2_MAGIC_END 0x0AB16F30u

enum {
    UF2_BLOCK = 512,
    UF2_PAYLOAD = 256, /* what the writer puts in each block */
    UF2_FLAG_NOT_MAIN_FLASH = 0x00000001,
    UF2_FLAG_FILE_CONTAINER = 0x00001000,
    UF2_FLAG_FAMILY = 0x00002000,
    UF2_FLAG_MD5 = 0x00004000,
    UF2_FLAG_EXTENSIONS = 0x00008000,
};

/* One block for every 256-aligned 256-byte page the map touches, in
 * address order, each with a 256-byte payload; the bytes of a page the
 * map does not cover are 0xff. Whole aligned pages are what the RP2040
 * boot ROM insists on, and any UF2 bootloader takes them. blockNo counts
 * from 0 and numBlocks is the total, over the whole file; with
 * o->has_family the flags are 0x2000 and the familyID field holds
 * o->uf2_family, else both are 0. The map must lie below 4 GiB. */
int flash_write_uf2(int fd, const char *what, const flash_map *m, const flash_opts *o);

typedef struct {
    bool has_family; /* every block named this family */
    uint32_t family;
    uint32_t blocks;  /* in the file, not-main-flash ones included */
    uint32_t skipped; /* not main flash */
} uf2_info;

/* Checks every block: the size of the file (whole blocks), the three
 * magic numbers, a payload of 1 to 476 bytes (452 with an MD5 region)
 * that does not run past 4 GiB, blockNo counting up from 0 to
 * numBlocks - 1 with one numBlocks throughout (a new count may start
 * after a complete one, as in concatenated files), and one family for
 * all blocks. Blocks flagged "not main flash" are skipped; file container
 * blocks are refused. `info` may be NULL. */
int flash_read_uf2(const char *what, const uint8_t *p, size_t n, flash_map *out, uf2_info *info);

/* A family by name, as in the UF2 specification's uf2families.json
 * (rp2040, rp2350 = rp2350-arm-s, stm32f4, ...): any case, '-' or '_'
 * alike; or a number (0xe48bff56). False if neither. */
bool uf2_family_lookup(const char *s, uint32_t *id);
/* The same, printing "WHAT: unknown UF2 family ..." with the known names
 * on failure. */
int uf2_family_parse(const char *what, const char *s, uint32_t *id);
/* The canonical name of a known ID ("rp2040"), or NULL. */
const char *uf2_family_name(uint32_t id);

#endif

/* DfuSe, ST's DFU file format (UM0391), as dfu-util and STM32CubeProgrammer
 * download it to STM32 parts: a prefix, targets of address-tagged
 * elements, and the DFU 1.1 suffix with its CRC. */
#ifndef ROMFS_FLASH_DFU_H
#define ROMFS_FLASH_DFU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/formats.h"
#include "flash/segment.h"

/* The 11-byte prefix ("DfuSe", version 1, the size of all but the suffix,
 * one target); one 274-byte target prefix ("Target", o->dfu_alt, named
 * when o->dfu_target_name is not empty, the name NUL-padded to 255 bytes,
 * the size of its elements, their number); one element (address, size,
 * bytes) per map segment; the 16-byte suffix: bcdDevice 0xffff,
 * o->dfu_pid, o->dfu_vid, bcdDFU 0x011a, "UFD", 16, and the CRC-32 DFU
 * defines (zlib's, not inverted at the end) of everything before it. The
 * map must lie below 4 GiB, the file stay under 4 GiB, the name under 255
 * bytes. */
int flash_write_dfu(int fd, const char *what, const flash_map *m, const flash_opts *o);

typedef struct {
    uint16_t vid, pid, bcd_device, bcd_dfu;
    unsigned targets;
    unsigned alt;   /* the first target's */
    char name[256]; /* the first target's, "" if unnamed */
} dfu_info;

/* Checks the suffix (signature, length, bcdDFU 0x011a or 0x0100, CRC), the
 * prefix (signature, version 1, the image size against the file), each
 * target's signature and the sizes it declares against its elements, and
 * that the targets fill the file exactly. The map holds the elements of
 * every target. `info` may be NULL. */
int flash_read_dfu(const char *what, const uint8_t *p, size_t n, flash_map *out, dfu_info *info);

#endif

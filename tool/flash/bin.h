/* Raw bytes: what a flasher writes at one address. */
#ifndef ROMFS_FLASH_BIN_H
#define ROMFS_FLASH_BIN_H

#include <stdint.h>

#include "flash/segment.h"

/* The bytes from the map's lowest address to its highest, gaps as `fill`
 * (0xff: what erased flash reads as, so a gap writes as if untouched).
 * An empty map writes an empty file. */
int flash_write_bin(int fd, const char *what, const flash_map *m, uint8_t fill);

#endif

/* Intel HEX (I32HEX), the text format of most flash programmers. */
#ifndef ROMFS_FLASH_IHEX_H
#define ROMFS_FLASH_IHEX_H

#include <stddef.h>
#include <stdint.h>

#include "flash/segment.h"

/* Every segment as data records of 16 bytes (shorter at a segment's end
 * and before a 64 KiB boundary, which no record crosses), a type-04
 * extended linear address record before the first data record and
 * whenever the upper 16 bits of the address change, and a type-01 end
 * record. Uppercase hex digits, lines end in CR LF (as GNU objcopy's do).
 * No start address record: an image is data, not a program. The map must
 * lie below 4 GiB. */
int flash_write_ihex(int fd, const char *what, const flash_map *m);

/* Records 00 (data), 01 (end), 02 (extended segment address), 03 (start
 * segment address), 04 (extended linear address) and 05 (start linear
 * address); lines end in LF or CR LF, blank lines are skipped. Every
 * record's length and checksum are checked; nothing but blank lines may
 * follow the end record, which must be there. Data under a type-02 base
 * wraps within its 64 KiB segment, under a type-04 base it runs on, as the
 * specification has it. Two records writing one byte are an error naming
 * both lines. */
int flash_read_ihex(const char *what, const uint8_t *p, size_t n, flash_map *out);

#endif

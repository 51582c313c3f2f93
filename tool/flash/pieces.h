/* How every reader builds its map: it collects the pieces of data a file
 * holds (a HEX record, a UF2 block, a DfuSe element, an ELF segment),
 * each tagged with where it came from; pieces_to_map then sorts them,
 * rejects any two that write the same byte (naming both by their tags)
 * and joins touching pieces into segments that own a copy of their
 * bytes. Sorting keeps it O(n log n) in pieces whatever their order. */
#ifndef ROMFS_FLASH_PIECES_H
#define ROMFS_FLASH_PIECES_H

#include <stddef.h>
#include <stdint.h>

#include "flash/segment.h"

typedef struct {
    uint64_t address, size;
    const uint8_t *bytes; /* must outlive pieces_to_map */
    uint64_t tag;         /* the line, block, element or program header number */
} flash_piece;

typedef struct {
    flash_piece *v;
    size_t n, cap;
} flash_pieces;

void pieces_add(flash_pieces *ps, uint64_t address, uint64_t size, const uint8_t *bytes,
                uint64_t tag);
/* `unit` names a tag in messages: "line", "block", "element". -1 with the
 * error printed on an overlap; `out` is empty then. */
int pieces_to_map(const char *what, const char *unit, flash_pieces *ps, flash_map *out);
void pieces_free(flash_pieces *ps);

#endif

/* What a flash file holds: bytes at addresses. Writers take a map whose
 * segments may live anywhere (in memory, or behind a read callback that
 * pulls them from a file in bounded chunks, so that writing never holds
 * a whole image); readers return a map that owns its bytes. */
#ifndef ROMFS_FLASH_SEGMENT_H
#define ROMFS_FLASH_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads `n` bytes at `offset` within the segment into `buf`, all of them:
 * 0, or -1 with errno set. Writers ask for at most FLASH_CHUNK bytes at a
 * time, in increasing offsets. */
typedef int (*flash_read_fn)(void *ctx, uint64_t offset, void *buf, size_t n);

enum { FLASH_CHUNK = 64 * 1024 };

typedef struct {
    uint64_t address, size;
    const uint8_t *bytes; /* the bytes in memory, or NULL and read/ctx */
    flash_read_fn read;
    void *ctx;
} flash_segment;

/* Segments in address order once flash_map_check has passed; they may
 * touch but never overlap. */
typedef struct {
    flash_segment *v;
    size_t n, cap;
    uint8_t **owned; /* buffers freed with the map */
    size_t n_owned, cap_owned;
} flash_map;

/* `bytes` stays the caller's and must outlive the map. */
void flash_map_add(flash_map *m, uint64_t address, uint64_t size, const uint8_t *bytes);
/* The map frees `bytes` (from xmalloc) with itself. */
void flash_map_add_owned(flash_map *m, uint64_t address, uint64_t size, uint8_t *bytes);
void flash_map_add_reader(flash_map *m, uint64_t address, uint64_t size, flash_read_fn read,
                          void *ctx);

/* Drops empty segments, sorts the rest by address (stably) and checks
 * that none overlaps another or runs past the end of a 64-bit address
 * space: -1 with one error line, under `what`, naming both ranges. */
int flash_map_check(const char *what, flash_map *m);

/* The lowest address and one past the highest, of a checked map that is
 * not empty. */
uint64_t flash_map_low(const flash_map *m);
uint64_t flash_map_end(const flash_map *m);
/* The total of the segments' sizes. */
uint64_t flash_map_bytes(const flash_map *m);

void flash_map_free(flash_map *m);

/* `n` bytes at `offset` within `s`, from memory or its callback: -1 with
 * an error line under `what` when the callback fails. */
int flash_segment_read(const char *what, const flash_segment *s, uint64_t offset, void *buf,
                       size_t n);

/* A forward-only view of a checked map, for writers that emit fixed-size
 * blocks (UF2 pages, the gaps of a bin): flash_cursor_fill copies
 * [address, address + n) into `buf`, `fill` where the map has no byte,
 * and says in *any whether the map had one. Successive calls must not go
 * back in address, which keeps a pass over the whole map linear. */
typedef struct {
    const char *what;
    const flash_map *m;
    size_t i;
} flash_cursor;

void flash_cursor_init(flash_cursor *c, const char *what, const flash_map *m);
int flash_cursor_fill(flash_cursor *c, uint64_t address, uint8_t *buf, size_t n, uint8_t fill,
                      bool *any);

/* "0x08000000..0x0800ffff": [address, address + size) for messages, in a
 * rotating static buffer (a few at a time, like shown()). */
const char *flash_range(uint64_t address, uint64_t size);

#endif

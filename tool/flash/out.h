/* The writers' one way out: bytes buffered in a fixed block and written
 * to a descriptor, counted, and run through zlib's CRC-32 on the way when
 * the format ends in one. Memory stays the same whatever is written.
 * After the first failure (reported once, naming the output) every call
 * does nothing, so writers check only at the end. */
#ifndef ROMFS_FLASH_OUT_H
#define ROMFS_FLASH_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/segment.h"

typedef struct {
    int fd;
    const char *what;
    bool failed;
    uint64_t written;  /* bytes handed to out_put so far */
    unsigned long crc; /* zlib's crc32() of them */
    size_t len;
    uint8_t buf[64 * 1024];
    uint8_t chunk[FLASH_CHUNK]; /* a segment's bytes on their way in */
} flash_out;

/* Allocated: the buffer is too large for every caller's stack. */
flash_out *out_open(int fd, const char *what);
void out_put(flash_out *o, const void *p, size_t n);
void out_fill(flash_out *o, uint8_t byte, uint64_t n);
/* Every byte of segment `s`, read FLASH_CHUNK at a time (a failed read
 * fails the output). */
void out_put_segment(flash_out *o, const char *what, const flash_segment *s);
/* Marks the output failed without a message: the caller printed one. */
void out_fail(flash_out *o);
/* Flushes and frees: 0, or -1 when anything failed. */
int out_close(flash_out *o);

#endif

/* Byte-level encodings shared by the files romfs writes and reads:
 * little-endian integers, hex text, and a growable byte buffer. */
#ifndef ROMFS_UTIL_BYTES_H
#define ROMFS_UTIL_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void put_le16(uint8_t *out, uint16_t v);
void put_le32(uint8_t *out, uint32_t v);
void put_le64(uint8_t *out, uint64_t v);
uint16_t get_le16(const uint8_t *p);
uint32_t get_le32(const uint8_t *p);
uint64_t get_le64(const uint8_t *p);

/* `n` bytes as 2n lowercase hex digits and a NUL. */
void hex_encode(const uint8_t *p, size_t n, char *out);
/* The value of one hex digit (either case), or -1. */
int hex_digit(char c);
/* 2n hex digits (either case) into `n` bytes; false if any is not one. */
bool hex_decode(const char *s, size_t n, uint8_t *out);

/* A growable byte buffer; running out of memory ends the program. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} bytebuf;

void buf_add(bytebuf *b, const void *p, size_t n);
void buf_add_le64(bytebuf *b, uint64_t v);
void buf_add_str(bytebuf *b, const char *s); /* without its NUL */
void buf_free(bytebuf *b);

#endif

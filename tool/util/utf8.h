/* UTF-8 checks: MicroPython names are str, so image names must be UTF-8. */
#ifndef ROMFS_UTF8_H
#define ROMFS_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when the
 * bytes there are not one (overlong forms and surrogates included). */
size_t utf8_char_len(const unsigned char *s, size_t n);
bool utf8_valid(const char *s, size_t n);

#endif

/* Minimal JSON output for `ls --json`. */
#ifndef ROMFS_JSON_OUT_H
#define ROMFS_JSON_OUT_H

#include <stddef.h>
#include <stdio.h>

/* Writes s (n bytes) as a JSON string; bytes that are not UTF-8 become
 * U+FFFD, since JSON text cannot hold them. */
void json_string(FILE *out, const char *s, size_t n);

#endif

/* Definitions from -D NAME=VALUE, which a manifest's strings use as
 * ${NAME}. */
#ifndef ROMFS_DEFINES_H
#define ROMFS_DEFINES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *name;
    char *value;
} define;

typedef struct {
    define *v;
    size_t n, cap;
} defines;

/* "NAME=VALUE" from -D; -1 with an error printed when malformed. */
int defines_add(defines *d, const char *arg);
void defines_free(defines *d);
/* The value of the last -D NAME=..., or NULL. */
const char *defines_get(const defines *d, const char *name, size_t len);
/* Whether the `len` bytes at `s` make a NAME: letters, digits and '_',
 * not starting with a digit. */
bool defines_is_name(const char *s, size_t len);

#endif

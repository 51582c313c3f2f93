/* A growable list of owned strings. */
#ifndef ROMFS_STRLIST_H
#define ROMFS_STRLIST_H

#include <stddef.h>

typedef struct {
    char **v;
    size_t n, cap;
} strlist;

void strlist_add(strlist *l, const char *s);
void strlist_take(strlist *l, char *s); /* adds s, which the list then owns */
void strlist_free(strlist *l);

#endif

#include "util/strlist.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

void strlist_take(strlist *l, char *s) {
    VEC_RESERVE(l->v, l->n, l->cap);
    l->v[l->n++] = s;
}

void strlist_add(strlist *l, const char *s) {
    strlist_take(l, xstrdup(s));
}

void strlist_free(strlist *l) {
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i]);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

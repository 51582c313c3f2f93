/* Allocation that cannot fail: running out of memory ends the program
 * with one error line, so callers need no NULL checks. */
#ifndef ROMFS_ALLOC_H
#define ROMFS_ALLOC_H

#include <stddef.h>

#include "util/diag.h"

/* Reports running out of memory and exits. */
void xalloc_failed(void) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Grows `arr` (with `cap` slots) so that it can hold one more item after
 * `len` of them. */
#define VEC_RESERVE(arr, len, cap)                                                                 \
    do {                                                                                           \
        if ((len) >= (cap)) {                                                                      \
            (cap) = (cap) ? (cap)*2 : 8;                                                           \
            (arr) = xrealloc((arr), (cap) * sizeof *(arr));                                        \
        }                                                                                          \
    } while (0)

#endif

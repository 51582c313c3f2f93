#include "util/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xalloc_failed(void) {
    diag_error("out of memory");
    exit(EXIT_INPUT);
}

static void *checked(void *p) {
    if (p == NULL) {
        xalloc_failed();
    }
    return p;
}

void *xmalloc(size_t n) {
    return checked(malloc(n ? n : 1));
}

void *xcalloc(size_t count, size_t n) {
    return checked(calloc(count ? count : 1, n ? n : 1));
}

void *xrealloc(void *p, size_t n) {
    return checked(realloc(p, n ? n : 1));
}

char *xstrdup(const char *s) {
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n) {
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xasprintf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        diag_error("cannot format a message");
        exit(EXIT_INPUT);
    }
    char *s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

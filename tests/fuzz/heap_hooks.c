/*
 * The allocator hooks of heap_hooks.h for builds without AddressSanitizer,
 * so that the replay of fuzz_inspect checks its bound on the heap there
 * too. malloc, calloc, realloc and free are replaced (glibc supports
 * replacing them, and its own functions then call these) by ones that call
 * glibc's and report each block to the hooks, by its usable size on both
 * sides so that the counts balance. Memory from aligned allocators is not
 * seen when it is made, only when it is freed; the counting tolerates that.
 */
#include <malloc.h>
#include <stdlib.h>

#include "heap_hooks.h"

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static void (*on_malloc)(const volatile void *, size_t);
static void (*on_free)(const volatile void *);

int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *)) {
    on_malloc = malloc_hook;
    on_free = free_hook;
    return 1;
}

size_t __sanitizer_get_allocated_size(const volatile void *p) {
    return malloc_usable_size((void *)p);
}

static void *made(void *p) {
    if (p != NULL && on_malloc != NULL) {
        on_malloc(p, malloc_usable_size(p));
    }
    return p;
}

void *malloc(size_t n) {
    return made(__libc_malloc(n));
}

void *calloc(size_t n, size_t size) {
    return made(__libc_calloc(n, size));
}

void *realloc(void *p, size_t n) {
    if (p != NULL && on_free != NULL) {
        on_free(p);
    }
    void *q = __libc_realloc(p, n);
    if (q == NULL && p != NULL && n != 0) {
        return made(p); /* failed: the old block is still there */
    }
    return made(q);
}

void free(void *p) {
    if (p != NULL && on_free != NULL) {
        on_free(p);
    }
    __libc_free(p);
}

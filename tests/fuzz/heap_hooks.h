/* The part of the sanitizers' allocator interface that fuzz_inspect uses to
 * measure the heap the code under test holds. Declared here, not taken from
 * <sanitizer/allocator_interface.h>, which gcc does not ship. The sanitizer
 * runtimes define these functions; in a build without AddressSanitizer
 * (the replay tests of the ordinary build) heap_hooks.c does. */
#ifndef ROMFS_FUZZ_HEAP_HOOKS_H
#define ROMFS_FUZZ_HEAP_HOOKS_H

#include <stddef.h>

int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
size_t __sanitizer_get_allocated_size(const volatile void *p);

#endif

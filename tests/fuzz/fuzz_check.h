/* CHECK() for the fuzz targets: abort() rather than assert(), since NDEBUG
 * must not turn the checks off and libFuzzer saves the input of any abort.
 * Targets that silence stderr for the code under test keep the real one in
 * real_stderr, where the report goes. */
#ifndef ROMFS_FUZZ_CHECK_H
#define ROMFS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static FILE *real_stderr;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(real_stderr ? real_stderr : stderr, "%s:%d: check failed: %s\n", __FILE__,     \
                    __LINE__, #cond);                                                              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif

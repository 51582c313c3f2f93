/* CHECK() for the fuzz targets: abort() rather than assert(), since NDEBUG
 * must not turn the checks off and libFuzzer saves the input of any abort.
 * Targets that silence stderr for the code under test keep the real one in
 * real_stderr, where the report goes. */
#ifndef ROMFS_FUZZ_CHECK_H
#define ROMFS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *real_stderr;
static FILE *devnull;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(real_stderr ? real_stderr : stderr, "%s:%d: check failed: %s\n", __FILE__,     \
                    __LINE__, #cond);                                                              \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Nearly every input makes the code under test print an error line, and
 * printing them all costs more than the work itself. Only the stdio stream
 * is swapped: libFuzzer and the sanitizers write their reports through
 * their own handles. ROMFS_FUZZ_VERBOSE=1 keeps the lines for debugging. */
static inline void fuzz_quiet_stderr(void) {
    real_stderr = stderr;
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL) {
        abort();
    }
    const char *verbose = getenv("ROMFS_FUZZ_VERBOSE");
    if (verbose == NULL || strcmp(verbose, "1") != 0) {
        stderr = devnull;
    }
}

#endif

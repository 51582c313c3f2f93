/* .py to .mpy through mpy-cross: a content-addressed cache shared by any
 * number of builds, and compiles run in parallel. */
#ifndef ROMFS_MPY_COMPILE_H
#define ROMFS_MPY_COMPILE_H

#include <stddef.h>

#include "pack/mpy_compiler.h"
#include "pack/source.h"
#include "pack/state.h"

/* Gives every source of `c` that has a py_host its compiled bytes: from
 * the cache when this compiler, these arguments, this -s name and these
 * source bytes were compiled before, else by running the compiler, up to
 * `jobs` at once. Afterwards each such node's host is its .mpy in the
 * cache. On a failure no new compile starts; the running ones finish,
 * every failure is shown with the compiler's output, and -1 returned. */
int mpy_compile_all(collection *col, const mpy_compiler *c, const build_state *old,
                    const char *cache_dir, unsigned jobs, size_t *compiled);

#endif

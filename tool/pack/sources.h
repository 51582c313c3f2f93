/* Turns the manifest's entries into the image tree and the sources it is
 * read from: walks directory entries, applies excludes and rules, checks
 * names and symlinks. `build` and `verify --manifest` both run it, so the
 * image is judged by exactly the decisions that made it. */
#ifndef ROMFS_PACK_SOURCES_H
#define ROMFS_PACK_SOURCES_H

#include <stdbool.h>

#include "manifest/manifest.h"
#include "pack/mpy_compiler.h"
#include "pack/source.h"

/* Fills `c` from `m`. A .py file that is to be compiled lands at its .mpy
 * path with py_host set (mpy_compile.c fills in the rest); with `mpy:
 * auto` and no compiler it stays a .py, counted in c->mpy_fallbacks.
 * `plan_only` (verify) decides where every file lands without reading any
 * file or running the compiler: whether a compiler exists is enough. -1
 * after an error, printed. */
int sources_collect(const manifest *m, mpy_compiler *mpy, bool plan_only, collection *c);

#endif

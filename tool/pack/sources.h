/* Turns the manifest's entries into the image tree: walks directory
 * entries, applies excludes and rules, checks names and symlinks. */
#ifndef ROMFS_SOURCES_H
#define ROMFS_SOURCES_H

#include "manifest/manifest.h"
#include "pack/mpy_compiler.h"
#include "util/strlist.h"
#include "format/tree.h"

/* Fills `t` from `m`. A .py file that is to be compiled lands at its
 * .mpy path with py_host set (mpy_compile.c fills in the rest); with
 * `mpy: auto` and no compiler it stays a .py, counted in *mpy_fallbacks. Every file it will read
 * and every directory it listed goes into `deps` (absolute paths), so a build system notices a file
 * added to or removed from a directory entry. -1 after an error. */
int sources_collect(const manifest *m, tree *t, strlist *deps, mpy_compiler *mpy,
                    size_t *mpy_fallbacks);

#endif

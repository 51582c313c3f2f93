/* Turns the manifest's entries into the image tree: walks directory
 * entries, applies excludes and rules, checks names and symlinks. */
#ifndef ROMFS_SOURCES_H
#define ROMFS_SOURCES_H

#include "manifest.h"
#include "strlist.h"
#include "tree.h"

/* Fills `t` from `m`. Every file it will read and every directory it
 * listed goes into `deps` (absolute paths), so a build system notices a
 * file added to or removed from a directory entry. -1 after an error. */
int sources_collect(const manifest *m, tree *t, strlist *deps);

#endif

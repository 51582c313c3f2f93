/* Make-style dependency files, as Ninja and CMake's DEPFILE read them. */
#ifndef ROMFS_DEPFILE_H
#define ROMFS_DEPFILE_H

#include "util/strlist.h"

/* Writes "target: deps..." to `path` atomically. -1 with the error printed. */
int depfile_write(const char *path, const char *target, const strlist *deps);

#endif

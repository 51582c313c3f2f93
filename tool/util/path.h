/* Path and file helpers shared by the commands. */
#ifndef ROMFS_FSUTIL_H
#define ROMFS_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a + "/" + b, without doubling a '/'. */
char *path_join(const char *a, const char *b);
/* `path` made absolute against the current directory, lexically: symlinks
 * are kept, so the result names what the user named. */
char *path_abs(const char *path);
/* The absolute directory that holds `path`. */
char *path_dirname_abs(const char *path);
/* The last part of `path`, trailing '/' ignored; "" for "/" or ".". */
char *path_basename(const char *path);

/* Whether the first `len` bytes of `path` end in `suffix`. */
bool path_has_suffix(const char *path, size_t len, const char *suffix);

/* The path that leads from directory `from` to `to` (both absolute, no
 * symlinks resolved): "." when they are the same. Allocated. */
char *path_relative(const char *from, const char *to);

/* mkdir -p: `path` and its missing parents. -1 with errno on failure. */
int make_dirs(const char *path);
/* rm -r of a directory this program made (symlinks are removed, never
 * followed). */
void remove_tree(const char *path);

#endif

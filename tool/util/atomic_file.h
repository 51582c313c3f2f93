/* Output files appear whole or not at all: they are written to a
 * temporary file in the target's directory and renamed over the target
 * only when complete, so a failed or killed build leaves the old file (or
 * none) and never a torn one. */
#ifndef ROMFS_ATOMIC_FILE_H
#define ROMFS_ATOMIC_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/file_stat.h"

typedef struct {
    int fd;
    bool quiet; /* failures are the caller's to report */
    char *target; /* the file replaced: a symlink's target, the symlink kept */
    char *tmp; /* a named temporary file, when an unnamed one was not possible */
} atomic_file;

/* -1 with the error printed. A `target` that exists must be a regular
 * file or a symlink to one: a device node, a FIFO or a directory is never
 * replaced. */
int atomic_open(atomic_file *f, const char *target);
/* Renames the file into place. With `st`, also says what the file just
 * put there looks like, from the descriptor, so that a file another
 * process renames over it a moment later cannot be mistaken for it. */
int atomic_commit(atomic_file *f, file_stat *st);
void atomic_abort(atomic_file *f);
/* atomic_commit, unless the target already holds exactly what was
 * written: then the target is left untouched (mtime included) and the
 * new file dropped, so that what depends on it does not rebuild. */
int atomic_commit_if_changed(atomic_file *f, bool *changed);

/* The whole of `data` as `target`, atomically. */
int atomic_write(const char *target, const void *data, size_t len);
/* The same, printing nothing: -1 with errno for the caller to report. */
int atomic_write_quiet(const char *target, const void *data, size_t len);

/* Like atomic_write, but leaves `target` untouched (mtime included) when
 * it already holds exactly `data`, so that what depends on it does not
 * rebuild. */
int write_if_changed(const char *target, const void *data, size_t len);

/* Removes named temporary files when SIGINT, SIGTERM or SIGHUP ends us. */
void atomic_install_signal_cleanup(void);

#endif

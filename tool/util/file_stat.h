/* What a file looked like: the fields the hash cache compares to decide
 * whether a stored content hash still describes the file. */
#ifndef ROMFS_FILE_STAT_H
#define ROMFS_FILE_STAT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct {
    uint64_t dev, ino, size;
    int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
} file_stat;

void file_stat_from(const struct stat *st, file_stat *out);
/* stat() of `path`, following symlinks; -1 with errno on failure. */
int file_stat_of(const char *path, file_stat *out);
bool file_stat_equal(const file_stat *a, const file_stat *b);

#endif

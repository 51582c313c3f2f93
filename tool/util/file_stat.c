#include "util/file_stat.h"

void file_stat_from(const struct stat *st, file_stat *out) {
    out->dev = (uint64_t)st->st_dev;
    out->ino = (uint64_t)st->st_ino;
    out->size = (uint64_t)st->st_size;
    out->mtime_sec = (int64_t)st->st_mtim.tv_sec;
    out->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
    out->ctime_sec = (int64_t)st->st_ctim.tv_sec;
    out->ctime_nsec = (int64_t)st->st_ctim.tv_nsec;
}

int file_stat_of(const char *path, file_stat *out) {
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    file_stat_from(&st, out);
    return 0;
}

bool file_stat_equal(const file_stat *a, const file_stat *b) {
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec &&
           a->ctime_sec == b->ctime_sec && a->ctime_nsec == b->ctime_nsec;
}

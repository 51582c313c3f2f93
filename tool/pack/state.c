/* The state file: "RMFSSTAT", a format version, the image key and stat,
 * then one record per source (path, stat, hash), and an XXH3-64 of all
 * of it last, so a torn or damaged file is recognised and ignored. All
 * integers little-endian. */
#include "pack/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "util/alloc.h"
#include "util/bytes.h"
#include "util/io.h"
#include "util/atomic_file.h"
#include "util/path.h"

static const char magic[8] = {'R', 'M', 'F', 'S', 'S', 'T', 'A', 'T'};
enum { FORMAT = 1, STAT_WORDS = 7, MAX_STATE = 1 << 30 };

static void put_stat(bytebuf *b, const file_stat *st) {
    uint64_t w[STAT_WORDS] = {st->dev,
                              st->ino,
                              st->size,
                              (uint64_t)st->mtime_sec,
                              (uint64_t)st->mtime_nsec,
                              (uint64_t)st->ctime_sec,
                              (uint64_t)st->ctime_nsec};
    for (int i = 0; i < STAT_WORDS; i++) {
        buf_add_le64(b, w[i]);
    }
}

typedef struct {
    const unsigned char *p, *end;
    bool bad;
} reader;

static const unsigned char *take(reader *r, size_t n) {
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        return NULL;
    }
    const unsigned char *at = r->p;
    r->p += n;
    return at;
}

static uint64_t get_u64(reader *r) {
    const unsigned char *le = take(r, 8);
    return le != NULL ? get_le64(le) : 0;
}

static void get_stat(reader *r, file_stat *st) {
    st->dev = get_u64(r);
    st->ino = get_u64(r);
    st->size = get_u64(r);
    st->mtime_sec = (int64_t)get_u64(r);
    st->mtime_nsec = (int64_t)get_u64(r);
    st->ctime_sec = (int64_t)get_u64(r);
    st->ctime_nsec = (int64_t)get_u64(r);
}

static char *slurp(const char *path, size_t *len) {
    int fd = open_regular(path);
    char *text = NULL;
    if (fd >= 0 && read_all(fd, MAX_STATE, &text, len) != 0) {
        text = NULL;
    }
    if (fd >= 0) {
        close(fd);
    }
    return text;
}

static void parse(build_state *s) {
    reader r = {(const unsigned char *)s->raw, (const unsigned char *)s->raw + s->raw_len, false};
    if (s->raw_len < sizeof magic + 8 || memcmp(s->raw, magic, sizeof magic) != 0) {
        return;
    }
    size_t body = s->raw_len - 8;
    reader tail = {(const unsigned char *)s->raw + body, r.end, false};
    if (get_u64(&tail) != XXH3_64bits(s->raw, body)) {
        return;
    }
    r.end = (const unsigned char *)s->raw + body;
    take(&r, sizeof magic);
    if (get_u64(&r) != FORMAT) {
        return;
    }
    const unsigned char *key = take(&r, HASH_SIZE);
    get_stat(&r, &s->image);
    uint64_t n = get_u64(&r);
    if (r.bad || key == NULL || n > s->raw_len / (8 * STAT_WORDS)) {
        return;
    }
    memcpy(s->key, key, HASH_SIZE);
    s->entries = xcalloc((size_t)n, sizeof *s->entries);
    for (uint64_t i = 0; i < n && !r.bad; i++) {
        uint64_t len = get_u64(&r);
        const unsigned char *path = take(&r, (size_t)len + 1);
        get_stat(&r, &s->entries[i].st);
        const unsigned char *hash = take(&r, HASH_SIZE);
        if (r.bad || path[len] != '\0' || strlen((const char *)path) != len) {
            r.bad = true;
            break;
        }
        memcpy(s->entries[i].hash, hash, HASH_SIZE);
        pathmap_add(&s->sources, (const char *)path, &s->entries[i]);
    }
    s->valid = !r.bad && r.p == r.end;
    if (!s->valid) {
        pathmap_free(&s->sources);
    }
}

void state_load(build_state *s, const char *path) {
    memset(s, 0, sizeof *s);
    if (path == NULL) {
        return;
    }
    size_t len = 0;
    s->raw = slurp(path, &len);
    s->raw_len = len;
    if (s->raw != NULL) {
        parse(s);
    }
}

const uint8_t *state_hash_for(const build_state *s, const char *host, const file_stat *st) {
    if (s == NULL || !s->valid) {
        return NULL;
    }
    const state_source *e = pathmap_get(&s->sources, host);
    return e != NULL && file_stat_equal(&e->st, st) ? e->hash : NULL;
}

int state_hash_or_read(const build_state *s, const char *host, const file_stat *st,
                       uint8_t out[HASH_SIZE]) {
    const uint8_t *known = state_hash_for(s, host, st);
    if (known != NULL) {
        memcpy(out, known, HASH_SIZE);
        return 0;
    }
    return hash_file(host, out, NULL);
}

/* One source's record; 0 when it is left out: a file modified this
 * recently could change again within the same timestamp, so its hash is
 * trusted only from the next build on. */
static int put_source(bytebuf *b, const char *host, const file_stat *st, const uint8_t *hash,
                      int64_t now) {
    if (host == NULL || st->mtime_sec >= now - 1 || st->ctime_sec >= now - 1) {
        return 0;
    }
    buf_add_le64(b, strlen(host));
    buf_add(b, host, strlen(host) + 1);
    put_stat(b, st);
    buf_add(b, hash, HASH_SIZE);
    return 1;
}

int state_save(const build_state *old, const char *path, const uint8_t key[HASH_SIZE],
               const file_stat *image, const collection *c) {
    int64_t now = (int64_t)time(NULL);
    bytebuf b = {0};
    buf_add(&b, magic, sizeof magic);
    buf_add_le64(&b, FORMAT);
    buf_add(&b, key, HASH_SIZE);
    put_stat(&b, image);
    size_t count_at = b.len;
    buf_add_le64(&b, 0);
    uint64_t n = 0;
    for (size_t i = 0; i < c->n_srcs; i++) {
        const source *s = c->srcs[i];
        n += put_source(&b, s->host, &s->st, s->hash, now);
        n += put_source(&b, s->py_host, &s->py_st, s->py_hash, now);
    }
    put_le64(b.p + count_at, n);
    buf_add_le64(&b, XXH3_64bits(b.p, b.len));
    int rc = 0;
    if (old->raw == NULL || old->raw_len != b.len || memcmp(old->raw, b.p, b.len) != 0) {
        char *dir = path_dirname_abs(path);
        rc = make_dirs(dir) == 0 ? atomic_write_quiet(path, b.p, b.len) : -1;
        free(dir);
    }
    buf_free(&b);
    return rc;
}

void state_free(build_state *s) {
    pathmap_free(&s->sources);
    free(s->entries);
    free(s->raw);
    memset(s, 0, sizeof *s);
}

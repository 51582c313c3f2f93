#include "pack/image_out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/writer.h"
#include "util/alloc.h"
#include "util/io.h"
#include "util/path.h"

enum { BUF_SIZE = 1 << 20 };

typedef struct {
    image_sink sink;
    int fd;
    const char *out;
    uint8_t *buf;
    size_t len;
    const image_base *base;
} file_sink;

static int flush(file_sink *s) {
    if (write_all(s->fd, s->buf, s->len) != 0) {
        diag_error("%s: cannot write the output: %s", shown(s->out), strerror(errno));
        return -1;
    }
    s->len = 0;
    return 0;
}

static int put_bytes(image_sink *sink, const void *p, size_t n) {
    file_sink *s = (file_sink *)sink;
    while (n > 0) {
        if (s->len == BUF_SIZE && flush(s) != 0) {
            return -1;
        }
        size_t take = BUF_SIZE - s->len < n ? BUF_SIZE - s->len : n;
        memcpy(s->buf + s->len, p, take);
        s->len += take;
        p = (const uint8_t *)p + take;
        n -= take;
    }
    return 0;
}

/* The file opened must be the one the walk checked: a path swapped since
 * for a link out of the tree would pack what the manifest never named. */
static int open_source(const source *src, const char *shown_src) {
    /* O_NONBLOCK: if the file was replaced by a FIFO, opening must not hang. */
    int fd = open(src->host, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        diag_error("%s: cannot read: %s", shown(shown_src), strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        diag_error("%s: is no longer a regular file; build again", shown(shown_src));
    } else if ((uint64_t)st.st_dev != src->st.dev || (uint64_t)st.st_ino != src->st.ino) {
        diag_error("%s: was replaced while it was being packed; build again", shown(shown_src));
    } else {
        return fd;
    }
    close(fd);
    return -1;
}

/* Copies the file's bytes, hashing them, and checks that it is still the
 * size the layout was made for: a file that changes while we pack it
 * would otherwise shift or corrupt everything after it. */
static int put_file_data(image_sink *sink, const node *n, uint64_t offset) {
    (void)offset;
    file_sink *s = (file_sink *)sink;
    source *src = source_of(n);
    const char *name = n->from.shown;
    int fd = open_source(src, name);
    if (fd < 0) {
        return -1;
    }
    hasher h;
    hasher_init(&h);
    int rc = 0;
    uint64_t left = n->size;
    for (;;) {
        if (s->len == BUF_SIZE && flush(s) != 0) {
            rc = -1;
            break;
        }
        /* One byte past the expected end, to notice a file that grew. */
        size_t want = BUF_SIZE - s->len;
        if (want > left + 1) {
            want = (size_t)left + 1;
        }
        ssize_t got = read(fd, s->buf + s->len, want);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            diag_error("%s: cannot read: %s", shown(name), strerror(errno));
            rc = -1;
            break;
        }
        if ((uint64_t)got > left) {
            diag_error("%s: file grew while it was being packed; build again", shown(name));
            rc = -1;
            break;
        }
        if (got == 0) {
            if (left != 0) {
                diag_error("%s: file shrank while it was being packed; build again",
                           shown(name));
                rc = -1;
            }
            break;
        }
        hasher_update(&h, s->buf + s->len, (size_t)got);
        s->len += (size_t)got;
        left -= (uint64_t)got;
    }
    uint8_t digest[HASH_SIZE];
    hasher_final(&h, digest);
    if (rc == 0 && src->hashed && memcmp(src->hash, digest, HASH_SIZE) != 0) {
        diag_error("%s: changed while it was being packed; build again", shown(name));
        rc = -1;
    }
    if (rc == 0) {
        memcpy(src->hash, digest, HASH_SIZE);
        src->hashed = true;
    }
    close(fd);
    return rc;
}

static int put_gap(image_sink *sink, uint64_t offset, uint64_t n) {
    file_sink *s = (file_sink *)sink;
    static uint8_t erased[4096];
    if (erased[0] != 0xff) {
        memset(erased, 0xff, sizeof erased);
    }
    size_t have = s->base == NULL || offset >= s->base->len ? 0 : s->base->len - (size_t)offset;
    size_t from_base = have < n ? have : (size_t)n;
    if (from_base > 0 && put_bytes(sink, s->base->bytes + offset, from_base) != 0) {
        return -1;
    }
    for (uint64_t left = n - from_base; left > 0;) {
        size_t take = left < sizeof erased ? (size_t)left : sizeof erased;
        if (put_bytes(sink, erased, take) != 0) {
            return -1;
        }
        left -= take;
    }
    return 0;
}

int image_out_write(int fd, const char *out, collection *c, const layout *lay,
                    const image_base *base) {
    file_sink s = {{put_bytes, put_file_data, put_gap}, fd, out, xmalloc(BUF_SIZE), 0, base};
    int rc = image_write(&c->t, lay, &s.sink);
    if (rc == 0) {
        rc = flush(&s);
    }
    free(s.buf);
    return rc;
}

#include "format/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "util/alloc.h"
#include "util/path.h"
#include "format/varuint.h"

enum { BUF_SIZE = 1 << 20 };

typedef struct {
    int fd;
    const char *out;
    uint8_t *buf;
    size_t len;
    uint64_t pos; /* image offset of buf[len] */
} sink;

static int flush(sink *s) {
    if (write_all(s->fd, s->buf, s->len) != 0) {
        diag_error("%s: cannot write the output: %s", shown(s->out), strerror(errno));
        return -1;
    }
    s->len = 0;
    return 0;
}

/* Room for `n` more bytes in the buffer (n <= BUF_SIZE). */
static int reserve(sink *s, size_t n) {
    return s->len + n > BUF_SIZE ? flush(s) : 0;
}

static int put(sink *s, const void *p, size_t n) {
    while (n > 0) {
        if (reserve(s, 1) != 0) {
            return -1;
        }
        size_t take = BUF_SIZE - s->len < n ? BUF_SIZE - s->len : n;
        memcpy(s->buf + s->len, p, take);
        s->len += take;
        s->pos += take;
        p = (const uint8_t *)p + take;
        n -= take;
    }
    return 0;
}

static int put_uint(sink *s, uint64_t v, unsigned width) {
    uint8_t tmp[VARUINT_MAX + 1];
    if (width > VARUINT_MAX + 1) { /* widths come from the layout; never this wide */
        abort();
    }
    varuint_put(tmp, v, width);
    return put(s, tmp, width);
}

/* A padding record of exactly n >= 2 bytes: kind 1, a length, zeros. */
static int put_padding(sink *s, uint64_t n) {
    unsigned w = 1;
    while (varuint_len(n - 1 - w) > w) {
        w++;
    }
    uint8_t kind = 1;
    if (put(s, &kind, 1) != 0 || put_uint(s, n - 1 - w, w) != 0) {
        return -1;
    }
    static const uint8_t zeros[4096];
    for (uint64_t left = n - 1 - w; left > 0;) {
        size_t take = left < sizeof zeros ? (size_t)left : sizeof zeros;
        if (put(s, zeros, take) != 0) {
            return -1;
        }
        left -= take;
    }
    return 0;
}

/* Copies the file's bytes, hashing them, and checks that it is still the
 * size the layout was made for: a file that changes while we pack it
 * would otherwise shift or corrupt everything after it. */
static int put_file_data(sink *s, node *n) {
    /* O_NONBLOCK: if the file was replaced by a FIFO, opening must not hang. */
    int fd = open(n->host, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        diag_error("%s: cannot read: %s", shown(n->from.shown), strerror(errno));
        return -1;
    }
    /* The file opened must be the one the walk checked: a path swapped
     * since for a link out of the tree would pack what the manifest
     * never named. */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        diag_error("%s: is no longer a regular file; build again", shown(n->from.shown));
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_dev != n->st.dev || (uint64_t)st.st_ino != n->st.ino) {
        diag_error("%s: was replaced while it was being packed; build again", shown(n->from.shown));
        close(fd);
        return -1;
    }
    XXH3_state_t *h = XXH3_createState();
    if (h == NULL) {
        diag_error("out of memory");
        close(fd);
        return -1;
    }
    XXH3_128bits_reset(h);
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
            diag_error("%s: cannot read: %s", shown(n->from.shown), strerror(errno));
            rc = -1;
            break;
        }
        if ((uint64_t)got > left) {
            diag_error("%s: file grew while it was being packed; build again",
                       shown(n->from.shown));
            rc = -1;
            break;
        }
        if (got == 0) {
            if (left != 0) {
                diag_error("%s: file shrank while it was being packed; build again",
                           shown(n->from.shown));
                rc = -1;
            }
            break;
        }
        XXH3_128bits_update(h, s->buf + s->len, (size_t)got);
        s->len += (size_t)got;
        s->pos += (uint64_t)got;
        left -= (uint64_t)got;
    }
    if (rc == 0) {
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
        memcpy(n->hash, c.digest, sizeof n->hash);
    }
    XXH3_freeState(h);
    close(fd);
    return rc;
}

static int put_node(sink *s, node *n) {
    uint8_t kind = n->is_dir ? 4 : 5;
    if (put(s, &kind, 1) != 0 || put_uint(s, n->len, n->width) != 0 ||
        put_uint(s, n->name_len, varuint_len(n->name_len)) != 0 ||
        put(s, n->name, n->name_len) != 0) {
        return -1;
    }
    if (n->is_dir) {
        for (size_t i = 0; i < n->n_kids; i++) {
            if (put_node(s, n->kids[i]) != 0) {
                return -1;
            }
        }
        return 0;
    }
    uint8_t data = 2;
    if ((n->pad >= 2 && put_padding(s, n->pad) != 0) || put(s, &data, 1) != 0 ||
        put_uint(s, n->size, n->data_width) != 0) {
        return -1;
    }
    if (s->pos != n->data_offset) {
        abort(); /* the writer and the layout disagree: a bug, never an image */
    }
    return put_file_data(s, n);
}

int image_write(int fd, const char *out, tree *t, const layout *lay) {
    sink s = {fd, out, xmalloc(BUF_SIZE), 0, 0};
    static const uint8_t header[3] = {0xd2, 0xcd, 0x31};
    int rc = put(&s, header, sizeof header);
    if (rc == 0) {
        rc = put_uint(&s, lay->payload_len, lay->root_width);
    }
    for (size_t i = 0; rc == 0 && i < t->root->n_kids; i++) {
        rc = put_node(&s, t->root->kids[i]);
    }
    if (rc == 0 && lay->tail > 0) {
        rc = put_padding(&s, lay->tail);
    }
    if (rc == 0 && s.pos != lay->size) {
        abort();
    }
    if (rc == 0) {
        rc = flush(&s);
    }
    free(s.buf);
    return rc;
}

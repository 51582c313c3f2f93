#include "util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/bytes.h"

void hasher_init(hasher *h) {
    h->st = XXH3_createState();
    if (h->st == NULL) {
        xalloc_failed();
    }
    XXH3_128bits_reset(h->st);
}

void hasher_update(hasher *h, const void *p, size_t n) {
    XXH3_128bits_update(h->st, p, n);
}

void hasher_u64(hasher *h, uint64_t v) {
    uint8_t le[8];
    put_le64(le, v);
    hasher_update(h, le, sizeof le);
}

void hasher_str(hasher *h, const char *s) {
    hasher_update(h, s, strlen(s) + 1);
}

void hasher_final(hasher *h, uint8_t out[HASH_SIZE]) {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h->st));
    memcpy(out, c.digest, HASH_SIZE);
    XXH3_freeState(h->st);
    h->st = NULL;
}

int hash_file(const char *path, uint8_t out[HASH_SIZE], uint64_t *size) {
    /* O_NONBLOCK: a path that turned into a FIFO must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return -1;
    }
    hasher h;
    hasher_init(&h);
    static unsigned char buf[1 << 16];
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = -1;
            break;
        }
        if (n == 0) {
            break;
        }
        hasher_update(&h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    int err = errno;
    uint8_t digest[HASH_SIZE];
    hasher_final(&h, digest);
    if (rc == 0) {
        memcpy(out, digest, HASH_SIZE);
        if (size != NULL) {
            *size = total;
        }
    }
    close(fd);
    errno = err;
    return rc;
}

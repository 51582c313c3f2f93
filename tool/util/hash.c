#include "util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

int hash_file(const char *path, uint8_t out[HASH_SIZE], uint64_t *size) {
    /* O_NONBLOCK: a path that turned into a FIFO must not hang us. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return -1;
    }
    XXH3_state_t *h = XXH3_createState();
    if (h == NULL) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    XXH3_128bits_reset(h);
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
        XXH3_128bits_update(h, buf, (size_t)n);
        total += (uint64_t)n;
    }
    int err = errno;
    if (rc == 0) {
        XXH128_canonical_t c;
        XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
        memcpy(out, c.digest, HASH_SIZE);
        if (size != NULL) {
            *size = total;
        }
    }
    XXH3_freeState(h);
    close(fd);
    errno = err;
    return rc;
}

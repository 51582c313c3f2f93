#include "util/sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/bytes.h"
#include "util/io.h"

struct sha256_state {
    EVP_MD_CTX *ctx;
};

sha256_state *sha256_begin(void) {
    sha256_state *s = xmalloc(sizeof *s);
    s->ctx = EVP_MD_CTX_new();
    if (s->ctx == NULL || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1) {
        xalloc_failed();
    }
    return s;
}

void sha256_update(sha256_state *s, const void *p, size_t n) {
    EVP_DigestUpdate(s->ctx, p, n);
}

void sha256_end(sha256_state *s, uint8_t out[SHA256_SIZE]) {
    unsigned int len = SHA256_SIZE;
    EVP_DigestFinal_ex(s->ctx, out, &len);
    EVP_MD_CTX_free(s->ctx);
    free(s);
}

int sha256_file(const char *path, uint8_t out[SHA256_SIZE], uint64_t *size) {
    int fd = open_regular(path); /* never /dev/zero, a FIFO: a record may name anything */
    if (fd < 0) {
        return -1;
    }
    sha256_state *s = sha256_begin();
    static uint8_t buf[1 << 16];
    uint64_t total = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int err = errno;
            uint8_t ignored[SHA256_SIZE];
            sha256_end(s, ignored);
            close(fd);
            errno = err;
            return -1;
        }
        sha256_update(s, buf, (size_t)n);
        total += (uint64_t)n;
    }
    close(fd);
    sha256_end(s, out);
    if (size != NULL) {
        *size = total;
    }
    return 0;
}

void sha256_hex(const uint8_t digest[SHA256_SIZE], char out[2 * SHA256_SIZE + 1]) {
    hex_encode(digest, SHA256_SIZE, out);
}

#include "util/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/diag.h"

int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t read_full(int fd, void *buf, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int read_all_after(int fd, const void *head, size_t head_len, size_t limit, char **out,
                   size_t *len) {
    if (head_len > limit) {
        errno = EFBIG;
        return -1;
    }
    size_t cap = head_len > 4096 ? head_len : 4096, n = head_len;
    char *text = xmalloc(cap + 1);
    memcpy(text, head, head_len);
    for (;;) {
        ssize_t got = read_full(fd, text + n, cap - n);
        if (got < 0) {
            int err = errno;
            free(text);
            errno = err;
            return -1;
        }
        n += (size_t)got;
        if (n > limit) {
            free(text);
            errno = EFBIG;
            return -1;
        }
        if (n < cap) {
            break;
        }
        cap = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
        text = xrealloc(text, cap + 1);
    }
    text[n] = '\0';
    *out = text;
    *len = n;
    return 0;
}

int read_all(int fd, size_t limit, char **out, size_t *len) {
    return read_all_after(fd, "", 0, limit, out, len);
}

static int open_checked(const char *path, bool regular_only) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return -1;
    }
    struct stat st;
    int err = 0;
    if (fstat(fd, &st) != 0) {
        err = errno;
    } else if (S_ISDIR(st.st_mode)) {
        err = EISDIR;
    } else if (regular_only && !S_ISREG(st.st_mode)) {
        err = EINVAL;
    }
    int flags = fcntl(fd, F_GETFL);
    if (err == 0 && (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)) {
        err = errno;
    }
    if (err != 0) {
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

int open_regular(const char *path) {
    return open_checked(path, true);
}

int open_input(const char *path) {
    return open_checked(path, false);
}

int read_input_file(const char *path, const char *kind, size_t limit, char **out, size_t *len) {
    int fd = open_input(path);
    if (fd < 0) {
        diag_error("%s: cannot read the %s: %s", shown(path), kind,
                   errno == EISDIR ? "it is a directory" : strerror(errno));
        return -1;
    }
    int rc = read_all(fd, limit, out, len);
    int err = errno;
    close(fd);
    if (rc != 0 && err == EFBIG) {
        diag_error("%s: the %s is larger than %zu MiB; is this the right file?", shown(path), kind,
                   limit >> 20);
    } else if (rc != 0) {
        diag_error("%s: cannot read the %s: %s", shown(path), kind, strerror(err));
    }
    return rc;
}

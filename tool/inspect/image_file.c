#include "inspect/image_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/writer.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/io.h"

/* The image's length from its header: the filesystem record's header and
 * payload. 0 when the bytes are not an image's beginning. */
static size_t image_length(const unsigned char *head, size_t n) {
    if (n < IMAGE_MAGIC_LEN + 1 || memcmp(head, image_magic, IMAGE_MAGIC_LEN) != 0) {
        return 0;
    }
    size_t v = 0;
    for (size_t i = IMAGE_MAGIC_LEN; i < n; i++) {
        if (v > (SIZE_MAX >> 7)) {
            return 0;
        }
        v = (v << 7) | (head[i] & 0x7f);
        if (!(head[i] & 0x80)) {
            return v > SIZE_MAX - (i + 1) ? SIZE_MAX : v + i + 1;
        }
    }
    return 0;
}

/* Reads the image: its header first, then exactly the bytes it says it
 * has, so a partition dump is read no further than its image. */
static int read_image(image_file *f, int fd) {
    enum { HEAD = IMAGE_MAGIC_LEN + 10 };
    unsigned char head[HEAD];
    ssize_t got = read_full(fd, head, sizeof head);
    if (got < 0) {
        diag_error("%s: cannot read: %s", shown(f->shown), strerror(errno));
        return -1;
    }
    size_t len = image_length(head, (size_t)got);
    if (len == 0) {
        diag_error("%s: not a ROMFS image (%s)", shown(f->shown),
                   got < IMAGE_MAGIC_LEN + 1 ? "too short"
                   : memcmp(head, image_magic, IMAGE_MAGIC_LEN) != 0
                       ? "no d2 cd 31 header at offset 0"
                       : "its length does not decode");
        return -1;
    }
    if (len > IMAGE_READ_LIMIT) {
        diag_error("%s: offset 0x3: the image says it is %zu bytes; romfs reads images of up to "
                   "%zu MiB",
                   shown(f->shown), len, IMAGE_READ_LIMIT >> 20);
        return -1;
    }
    f->bytes = xmalloc(len < (size_t)got ? (size_t)got : len);
    memcpy(f->bytes, head, (size_t)got);
    f->len = (size_t)got;
    if (len > (size_t)got) {
        ssize_t more = read_full(fd, f->bytes + got, len - (size_t)got);
        if (more < 0) {
            diag_error("%s: cannot read: %s", shown(f->shown), strerror(errno));
            return -1;
        }
        f->len += (size_t)more;
    }
    if (f->len < len) {
        diag_error("%s: offset 0x3: truncated image: its length runs past the end of the file "
                   "(%zu bytes)",
                   shown(f->shown), f->len);
        return -1;
    }
    f->len = len;
    if (romfs_open(&f->img, f->bytes, f->len) != ROMFS_OK) {
        diag_error("%s: not a ROMFS image", shown(f->shown));
        return -1;
    }
    return 0;
}

int image_file_open(image_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    f->path = path;
    bool from_stdin = !strcmp(path, "-");
    f->shown = from_stdin ? "<stdin>" : path;
    int fd = from_stdin ? STDIN_FILENO : open_regular(path);
    if (fd < 0) {
        diag_error("%s: %s", shown(path),
                   errno == EISDIR   ? "is a directory, not an image"
                   : errno == EINVAL ? "not a regular file"
                                     : strerror(errno));
        return -1;
    }
    int rc = read_image(f, fd);
    if (!from_stdin) {
        close(fd);
    }
    if (rc != 0) {
        image_file_close(f);
    }
    return rc;
}

void image_file_close(image_file *f) {
    free(f->bytes);
    f->bytes = NULL;
}

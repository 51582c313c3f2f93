#include "inspect/image_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flash/segment.h"
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

static int too_large(const image_file *f, const char *where, size_t len) {
    diag_error("%s: %sthe image says it is %zu bytes; romfs reads images of up to %zu MiB",
               shown(f->shown), where, len, IMAGE_READ_LIMIT >> 20);
    return -1;
}

static int open_bytes(image_file *f) {
    if (romfs_open(&f->img, f->bytes, f->len) != ROMFS_OK) {
        diag_error("%s: not a ROMFS image", shown(f->shown));
        return -1;
    }
    return 0;
}

/* The image's private copy of `len` bytes, opened. */
static int keep(image_file *f, const unsigned char *p, size_t len) {
    f->bytes = xmalloc(len ? len : 1);
    memcpy(f->bytes, p, len);
    f->len = len;
    return open_bytes(f);
}

/* Where in `s` an image starts: after at most 255 bytes of 0xff; -1 if
 * it does not hold the magic there. */
static long image_start(const flash_segment *s) {
    size_t skip = 0;
    while (skip < s->size && skip < 255 && s->bytes[skip] == 0xff) {
        skip++;
    }
    bool magic = s->size - skip >= IMAGE_MAGIC_LEN &&
                 memcmp(s->bytes + skip, image_magic, IMAGE_MAGIC_LEN) == 0;
    return magic ? (long)skip : -1;
}

/* The image in a flash file's map: the lowest segment that starts one. */
static int take_image(image_file *f, const flash_map *m) {
    const char *kind = flash_format_name(f->format);
    if (m->n == 0) {
        diag_error("%s: a %s file that holds no bytes, so no ROMFS image", shown(f->shown), kind);
        return -1;
    }
    for (size_t i = 0; i < m->n; i++) {
        const flash_segment *s = &m->v[i];
        long skip = image_start(s);
        if (skip < 0) {
            continue;
        }
        const unsigned char *p = s->bytes + skip;
        size_t avail = (size_t)(s->size - (uint64_t)skip);
        f->address = s->address + (uint64_t)skip;
        size_t len = image_length(p, avail < IMAGE_MAGIC_LEN + 10 ? avail : IMAGE_MAGIC_LEN + 10);
        char where[48];
        snprintf(where, sizeof where, "at 0x%08" PRIx64 ": ", f->address);
        if (len == 0) {
            diag_error("%s: %sa ROMFS image whose length does not decode", shown(f->shown),
                       where);
            return -1;
        }
        if (len > IMAGE_READ_LIMIT) {
            return too_large(f, where, len);
        }
        if (len > avail) {
            diag_error("%s: %sthe ROMFS image says it is %zu bytes, but the %s file holds %zu "
                       "there (%s)",
                       shown(f->shown), where, len, kind, avail,
                       flash_range(s->address, s->size));
            return -1;
        }
        return keep(f, p, len);
    }
    diag_error("%s: no ROMFS image in this %s file: none of its %zu segment%s (the first %s) "
               "starts with d2 cd 31",
               shown(f->shown), kind, m->n, m->n == 1 ? "" : "s",
               flash_range(m->v[0].address, m->v[0].size));
    return -1;
}

/* A flash file: read whole (its first `got` bytes are in `head`), its
 * pieces mapped, the image taken from the map. */
static int read_flash(image_file *f, int fd, const unsigned char *head, size_t got) {
    char *data;
    size_t n;
    if (read_all_after(fd, head, got, FLASH_FILE_READ_LIMIT, &data, &n) != 0) {
        if (errno == EFBIG) {
            diag_error("%s: a %s file of more than %zu MiB; romfs reads flash files of up to "
                       "%zu MiB",
                       shown(f->shown), flash_format_name(f->format), FLASH_FILE_READ_LIMIT >> 20,
                       FLASH_FILE_READ_LIMIT >> 20);
        } else {
            diag_error("%s: cannot read: %s", shown(f->shown), strerror(errno));
        }
        return -1;
    }
    flash_map m = {0};
    int rc = flash_read(f->format, f->shown, (const uint8_t *)data, n, 0, &m);
    free(data); /* the readers of these formats copy what they keep */
    if (rc == 0) {
        rc = take_image(f, &m);
    }
    flash_map_free(&m);
    return rc;
}

/* Reads the image: its header first, then exactly the bytes it says it
 * has, so a partition dump is read no further than its image. */
static int read_image(image_file *f, int fd, bool flash_files) {
    enum { HEAD = IMAGE_MAGIC_LEN + 10 };
    unsigned char head[HEAD];
    ssize_t got = read_full(fd, head, sizeof head);
    if (got < 0) {
        diag_error("%s: cannot read: %s", shown(f->shown), strerror(errno));
        return -1;
    }
    f->format = flash_detect(head, (size_t)got);
    if (flash_files && f->format != FLASH_ROMFS && f->format != FLASH_UNKNOWN) {
        return read_flash(f, fd, head, (size_t)got);
    }
    f->format = FLASH_ROMFS;
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
        return too_large(f, "offset 0x3: ", len);
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
    return open_bytes(f);
}

static int open_image(image_file *f, const char *path, bool flash_files) {
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
    int rc = read_image(f, fd, flash_files);
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

int image_file_open(image_file *f, const char *path) {
    return open_image(f, path, false);
}

int image_file_open_flash(image_file *f, const char *path) {
    return open_image(f, path, true);
}

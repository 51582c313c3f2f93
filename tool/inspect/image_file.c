#include "inspect/image_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/diag.h"

int image_file_open(image_file *f, const char *path) {
    memset(f, 0, sizeof *f);
    f->path = path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        diag_error("%s: cannot open: %s", shown(path), strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        diag_error("%s: not a regular file", shown(path));
        close(fd);
        return -1;
    }
    f->len = (size_t)st.st_size;
    if (f->len > 0) {
        void *map = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            diag_error("%s: cannot read: %s", shown(path), strerror(errno));
            close(fd);
            return -1;
        }
        f->bytes = map;
    }
    close(fd);
    static const unsigned char header[3] = {0xd2, 0xcd, 0x31};
    if (f->len < 4 || memcmp(f->bytes, header, 3) != 0) {
        diag_error("%s: not a ROMFS image (%s)", shown(path),
                   f->len < 4 ? "too short" : "no d2 cd 31 header at offset 0");
        image_file_close(f);
        return -1;
    }
    if (romfs_open(&f->img, f->bytes, f->len) != ROMFS_OK) {
        diag_error("%s: offset 0x3: truncated image: its length runs past the end of the "
                   "file (%zu bytes)",
                   shown(path), f->len);
        image_file_close(f);
        return -1;
    }
    return 0;
}

void image_file_close(image_file *f) {
    if (f->bytes != NULL) {
        munmap((void *)f->bytes, f->len);
    }
    f->bytes = NULL;
}

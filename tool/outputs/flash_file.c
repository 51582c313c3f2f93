#include "outputs/flash_file.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "util/diag.h"
#include "util/io.h"

/* The image file's bytes, all of them or EIO (a file cut short under us). */
static int read_at(void *ctx, uint64_t offset, void *buf, size_t n) {
    int fd = *(const int *)ctx;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(offset + got));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            errno = r < 0 ? errno : EIO;
            return -1;
        }
        got += (size_t)r;
    }
    return 0;
}

static int write_flash_file(output *o, const build_view *v) {
    int fd = open_regular(v->image);
    if (fd < 0) {
        diag_error("%s: cannot read the image back for %s: %s", shown(v->image), shown(o->path),
                   strerror(errno));
        return -1;
    }
    deploy_image img = {.what = v->image,
                        .size = v->lay->size,
                        .max_align = v->lay->max_align,
                        .rules = v->policy->rules,
                        .read = read_at,
                        .ctx = &fd};
    int rc = deploy_write(v->deploy, &img, o->path, deploy_format_of(o->path, FLASH_UNKNOWN));
    close(fd);
    return rc;
}

const output_kind flash_file_output = {
    .name = "the flash file",
    .option = "flash",
    .help = "the image as a flash file for its partition (.bin, .hex, .uf2, .dfu, .elf)",
    .write = write_flash_file,
};

#include "deploy/image.h"

#include <errno.h>
#include <string.h>

int deploy_image_read(const deploy_image *img, uint64_t offset, uint8_t *buf, size_t n) {
    size_t have = 0;
    if (offset < img->size) {
        have = img->size - offset < n ? (size_t)(img->size - offset) : n;
    }
    if (have > 0 && img->bytes != NULL) {
        memcpy(buf, img->bytes + offset, have);
    } else if (have > 0) {
        errno = 0;
        if (img->read(img->ctx, offset, buf, have) != 0) {
            if (errno == 0) {
                errno = EIO;
            }
            return -1;
        }
    }
    memset(buf + have, 0xff, n - have);
    return 0;
}

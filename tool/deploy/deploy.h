/* Writing an image as a flash file: the one entry point `romfs flash` and
 * `build --flash` share. It resolves the partition, checks that the
 * image can live there, lays out what the file holds (the image, padded or
 * not; the image and a firmware; or only the erase blocks that changed
 * since an older image) and writes it, atomically and only when its bytes
 * change, then says what it wrote on stderr (unless quiet).
 *
 * The checks, each one error line naming the numbers:
 * - the image fits the partition (when its size is known);
 * - the partition's address is a multiple of the largest alignment the
 *   image's files need, so that a model needing 16 lands 16-aligned in
 *   flash;
 * - with --firmware, no loadable segment of the firmware (a PT_LOAD with
 *   bytes in the file, at its load address) lies in the partition, unless
 *   it is the firmware's own ROMFS image there (romfs_embed_image puts
 *   one), which the new one replaces;
 * - with --merge, no byte of the firmware lies in the partition (or,
 *   when its size is not known, where the image goes);
 * - with --base, the partition starts on an erase block boundary, and
 *   the old image (when it is itself a flash file) sits where the
 *   partition is. */
#ifndef ROMFS_DEPLOY_DEPLOY_H
#define ROMFS_DEPLOY_DEPLOY_H

#include "deploy/image.h"
#include "deploy/request.h"
#include "flash/formats.h"

/* `out` ("-": standard output, which must not be a terminal) in format
 * `f`, for `r`, which deploy_check_formats accepted for `f`. A request
 * with no partition is refused (the caller says how to give one first).
 * -1 after one error line. */
int deploy_write(const deploy_request *r, const deploy_image *img, const char *out, flash_format f);

/* Whether the request's partition can be resolved (the firmware or the
 * table read, the symbols or the partition there), before anything is
 * built: -1 after one error line. */
int deploy_check_partition(const deploy_request *r);

#endif

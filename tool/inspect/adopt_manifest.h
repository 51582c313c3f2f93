/* The manifest that adopts an image made elsewhere (an IDE's ROMFS editor,
 * `mpremote romfs build`): once the image is extracted into a directory,
 * `romfs build` of this manifest packs exactly the same files, each as
 * aligned as the policy says it needs. Where the image was packed without
 * padding (image.align 1), so is the rebuild, so an image that was already
 * laid out the way romfs lays it out comes back byte for byte. */
#ifndef ROMFS_INSPECT_ADOPT_MANIFEST_H
#define ROMFS_INSPECT_ADOPT_MANIFEST_H

#include <stddef.h>

#include "inspect/image_check.h"
#include "inspect/image_file.h"

typedef struct {
    const char *manifest; /* the file to write */
    const char *dir;      /* where the image's tree was extracted */
    const char *target;   /* image.target to write, or NULL */
    const align_policy *align;
} adopt_opts;

/* The manifest's text (allocated, *len bytes), for the caller to write
 * once the tree is extracted; NULL with the error printed. */
char *adopt_manifest_text(const image_file *f, const adopt_opts *o, size_t *len);

#endif

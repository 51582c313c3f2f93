/* For assembly that embeds the image (romfs_embed_image() in CMake): a
 * header defining ROMFS_IMAGE_ALIGN, the alignment the image's first byte
 * needs, which changes far less often than the image, so that nothing
 * including it rebuilds for an asset edit. */
#ifndef ROMFS_OUTPUTS_ALIGN_HEADER_H
#define ROMFS_OUTPUTS_ALIGN_HEADER_H

#include "outputs/output.h"

extern const output_kind align_header_output;

#endif

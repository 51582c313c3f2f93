/* `build --flash FILE`: the image as a flash file for its partition,
 * written by deploy/ as `romfs flash` writes one (format by FILE's
 * extension, partition from the build's command line or the manifest's
 * image.partition), the image's bytes streamed from the image file. */
#ifndef ROMFS_OUTPUTS_FLASH_FILE_H
#define ROMFS_OUTPUTS_FLASH_FILE_H

#include "outputs/output.h"

extern const output_kind flash_file_output;

#endif

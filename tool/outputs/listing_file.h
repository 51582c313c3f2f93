/* The listing saved beside the image (`build --listing FILE`): what
 * `romfs ls` prints for it, made from the layout the build wrote. */
#ifndef ROMFS_OUTPUTS_LISTING_FILE_H
#define ROMFS_OUTPUTS_LISTING_FILE_H

#include "outputs/output.h"

extern const output_kind listing_output;

#endif

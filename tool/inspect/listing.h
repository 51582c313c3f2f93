/* The listing of an image, as `romfs ls` prints it and as `build
 * --listing` saves it next to the image. */
#ifndef ROMFS_LISTING_H
#define ROMFS_LISTING_H

#include <stdbool.h>
#include <stdio.h>

#include "inspect/image_file.h"

/* Prints every entry, as text or JSON; on a structural fault prints what
 * came before it, reports the fault and returns -1. */
int listing_print(FILE *out, const image_file *f, bool json);

#endif

/* What a build checks of what it collected, before it writes anything:
 * the budgets of the manifest, and that every .mpy suits the firmware
 * (image.mpy_abi); and, once laid out, image.warn_at. */
#ifndef ROMFS_PACK_CHECKS_H
#define ROMFS_PACK_CHECKS_H

#include "format/layout.h"
#include "manifest/manifest.h"
#include "pack/mpy_compiler.h"
#include "pack/source.h"

/* -1 after printing the first budget exceeded. */
int check_budgets(const manifest *m, const collection *c);
/* -1 after printing the first .mpy the firmware would refuse. */
int check_mpy_abi(const manifest *m, const collection *c, const mpy_compiler *mpy);
/* A warning past image.warn_at. */
void check_warn_at(const manifest *m, const layout *lay, const char *image);

#endif

/* The depfile (`build --depfile FILE`): Make-style, as Ninja and CMake's
 * DEPFILE read it, naming every input a build system must watch. */
#ifndef ROMFS_OUTPUTS_DEPFILE_H
#define ROMFS_OUTPUTS_DEPFILE_H

#include "outputs/output.h"

extern const output_kind depfile_output;

#endif

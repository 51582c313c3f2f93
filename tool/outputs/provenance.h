/* What an image was made from, for auditors and for checking a release
 * later: `build --provenance FILE.json` writes the tool, the manifest,
 * the definitions, the compiler, every input (its path relative to the
 * manifest, its path in the image, size and SHA-256) and the image's
 * size and SHA-256; `build --sbom FILE` the same as a CycloneDX 1.5 SBOM,
 * files as components. `verify IMAGE --provenance FILE.json` checks an
 * image and the inputs still present against a record. Both are pure
 * functions of the build's inputs: a rebuild writes the same bytes. */
#ifndef ROMFS_OUTPUTS_PROVENANCE_H
#define ROMFS_OUTPUTS_PROVENANCE_H

#include "outputs/output.h"

extern const output_kind provenance_output;
extern const output_kind sbom_output;

/* verify --provenance: 0 when the image and every input present match
 * the record (one line says what was checked), else EXIT_INPUT with one
 * error line per difference. */
int provenance_verify(const char *record, const char *image);

#endif

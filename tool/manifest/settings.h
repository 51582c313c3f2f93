/* What applies to each file: the layers of settings (built-ins < image <
 * rules in order < the entry's own keys), the built-in alignment of models,
 * and the names every tree has and no firmware wants. */
#ifndef ROMFS_MANIFEST_SETTINGS_H
#define ROMFS_MANIFEST_SETTINGS_H

#include <stdbool.h>

#include "manifest/manifest.h"

/* A target's name (image.target, --target) as TARGET_*; -1 if unknown. */
#define MANIFEST_TARGETS "n6"
int manifest_target(const char *name, int *target);

/* The built-in alignment of a model (`*.tflite`: 16, 32 for target n6) at
 * `path`, or 0 when it is not one: runtimes read models in place and
 * check their alignment. */
unsigned manifest_model_align(const char *path, int target);

/* The settings of the file at `path` (its path inside the image):
 * built-ins < image < rules < `entry` (may be NULL). exclude stays -1 when
 * no layer sets it; the default excludes are then the caller's to apply. */
settings manifest_settings_for(const manifest *m, const file_entry *entry, const char *path);

/* Whether a name found in a directory entry is one of the default
 * excludes: .DS_Store, Thumbs.db, __pycache__/, *.pyc, .git/, .svn/, *~,
 * .*.swp (a trailing '/' means directories only). */
bool default_excluded(const char *name, bool is_dir);
/* The same list for --help and the manifest reference. */
#define DEFAULT_EXCLUDES_TEXT ".DS_Store, Thumbs.db, __pycache__/, *.pyc, .git/, .svn/, *~, .*.swp"

#endif

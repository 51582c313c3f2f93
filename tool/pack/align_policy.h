/* The alignment policies `verify` and `ls` judge an image by: the
 * built-in rules (optionally a target's), or a manifest's, where each
 * file's alignment is the one its build decides: the same source
 * collection as `build` runs, without reading any file's data. */
#ifndef ROMFS_PACK_ALIGN_POLICY_H
#define ROMFS_PACK_ALIGN_POLICY_H

#include <stdbool.h>

#include "inspect/image_check.h"
#include "manifest/manifest.h"
#include "pack/source.h"

typedef struct {
    align_policy base;
    int target;
} builtin_policy;

/* `target`: TARGET_NONE, or a target's built-ins (TARGET_N6). */
void builtin_policy_init(builtin_policy *p, int target);

/* What a build just decided: each file's alignment in its tree. */
typedef struct {
    align_policy base;
    const tree *t;
} tree_policy;

void tree_policy_init(tree_policy *p, const tree *t);

typedef struct {
    align_policy base;
    collection plan;
    bool *seen; /* by node id */
    char *rules;
} plan_policy;

/* Collects what `m` would pack; -1 (printed) when the manifest cannot be
 * built. `mpy_cross`: -D ROMFS_MPY_CROSS, as build takes it. */
int plan_policy_init(plan_policy *p, const manifest *m, const char *mpy_cross);
void plan_policy_free(plan_policy *p);

#endif

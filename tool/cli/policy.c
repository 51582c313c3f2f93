#include "cli/policy.h"
#include "manifest/settings.h"

#include <string.h>

#include "util/diag.h"

int cli_policy_open(cli_policy *p, const cli_args *a, int opt_manifest, int opt_define,
                    int opt_target) {
    memset(p, 0, sizeof *p);
    const char *manifest_path = cli_value(a, opt_manifest), *target = cli_value(a, opt_target);
    if (manifest_path != NULL && target != NULL) {
        diag_error("--manifest and --target both say which rules apply; give one");
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < cli_count(a, opt_define); i++) {
        if (defines_add(&p->defs, a->opts[opt_define].v[i]) != 0) {
            return EXIT_USAGE;
        }
    }
    if (manifest_path == NULL) {
        int t = TARGET_NONE;
        if (target != NULL && manifest_target(target, &t) != 0) {
            diag_error("--target must be one of: %s; not '%s'", MANIFEST_TARGETS, shown(target));
            return EXIT_USAGE;
        }
        builtin_policy_init(&p->builtin, t);
        p->active = &p->builtin.base;
        return 0;
    }
    p->have_manifest = true;
    if (manifest_load(manifest_path, &p->defs, &p->m) != 0) {
        return EXIT_INPUT;
    }
    const char *mpy_cross = defines_get(&p->defs, "ROMFS_MPY_CROSS", strlen("ROMFS_MPY_CROSS"));
    if (plan_policy_init(&p->plan, &p->m, mpy_cross) != 0) {
        return EXIT_INPUT;
    }
    p->active = &p->plan.base;
    return 0;
}

void cli_policy_close(cli_policy *p) {
    if (p->have_manifest) {
        plan_policy_free(&p->plan);
        manifest_free(&p->m);
    }
    defines_free(&p->defs);
    memset(p, 0, sizeof *p);
}

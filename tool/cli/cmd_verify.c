/* `romfs verify`: structure and alignment, one line per fault. */
#include <stdio.h>

#include "cli/commands.h"
#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "manifest/manifest.h"
#include "util/diag.h"

enum { V_MANIFEST, V_DEFINE, V_QUIET };

static const cli_option verify_options[] = {
    [V_MANIFEST] = {'m', "manifest", "MANIFEST", "judge alignment by this manifest's rules"},
    [V_DEFINE] = {'D', "define", "NAME=VALUE", "a value for ${NAME} in the manifest", true},
    [V_QUIET] = {'q', "quiet", NULL, "print nothing when the image is sound"},
    {0},
};

static int run_verify(const cli_args *a) {
    const char *path = a->operands[0], *manifest_path = cli_value(a, V_MANIFEST);
    defines defs = {0};
    int status = EXIT_USAGE;
    for (size_t i = 0; i < cli_count(a, V_DEFINE); i++) {
        if (defines_add(&defs, a->opts[V_DEFINE].v[i]) != 0) {
            goto out;
        }
    }
    status = EXIT_INPUT;
    manifest m;
    if (manifest_path != NULL && manifest_load(manifest_path, &defs, &m) != 0) {
        manifest_free(&m);
        goto out;
    }
    image_file f;
    if (image_file_open(&f, path) == 0) {
        check_opts o = {true, manifest_path ? &m : NULL, false};
        check_result r;
        if (image_check(&f, &o, &r) == 0) {
            if (!cli_flag(a, V_QUIET)) {
                printf(
                    "%s: ok: %zu files, %zu directories, %zu bytes, largest alignment needed %u\n",
                    path, r.files, r.dirs, f.img.size, r.max_align);
            }
            status = 0;
        }
        image_file_close(&f);
    }
    if (manifest_path != NULL) {
        manifest_free(&m);
    }
out:
    defines_free(&defs);
    return status;
}

const cli_command verify_command = {
    .name = "verify",
    .operands = "IMAGE",
    .min_operands = 1,
    .max_operands = 1,
    .summary = "check structure and alignment; non-zero on any fault",
    .options = verify_options,
    .run = run_verify,
};

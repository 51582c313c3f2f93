/* `romfs verify`: structure and alignment, one line per fault. */
#include <stdio.h>

#include "cli/options.h"
#include "cli/commands.h"
#include "util/diag.h"
#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "manifest/manifest.h"

int cmd_verify(int argc, char **argv) {
    enum { OPT_MANIFEST, OPT_DEFINE, OPT_QUIET };
    static const opt_spec specs[] = {
        [OPT_MANIFEST] = {'m', "manifest", 1},
        [OPT_DEFINE] = {'D', "define", 1},
        [OPT_QUIET] = {'q', "quiet", 0},
        {0, NULL, 0},
    };
    args a;
    args_init(&a, argc, argv);
    defines defs = {0};
    const char *path = NULL, *manifest_path = NULL, *v;
    int k, quiet = 0, status = EXIT_USAGE;
    while ((k = args_next(&a, specs, &v)) != ARG_END) {
        if (k == ARG_BAD) {
            goto out;
        } else if (k == ARG_POSITIONAL) {
            if (path != NULL) {
                diag_error("verify takes one image; '%s' is a second", shown(v));
                goto out;
            }
            path = v;
        } else if (k == OPT_MANIFEST) {
            manifest_path = v;
        } else if (k == OPT_DEFINE && defines_add(&defs, v) != 0) {
            goto out;
        } else if (k == OPT_QUIET) {
            quiet = 1;
        }
    }
    if (path == NULL) {
        diag_error("usage: romfs verify IMAGE [--manifest MANIFEST] [-D NAME=VALUE]...");
        goto out;
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
            if (!quiet) {
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

/* `romfs ls`: every entry with its size, data offset and the alignment
 * that offset gives. Works on any writer's image, mpremote's included. */
#include <stdio.h>
#include <string.h>

#include "cli/options.h"
#include "cli/commands.h"
#include "util/diag.h"
#include "inspect/image_file.h"
#include "inspect/listing.h"

int cmd_ls(int argc, char **argv) {
    enum { OPT_JSON };
    static const opt_spec specs[] = {[OPT_JSON] = {0, "json", 0}, {0, NULL, 0}};
    args a;
    args_init(&a, argc, argv);
    const char *path = NULL, *v;
    int json = 0, k;
    while ((k = args_next(&a, specs, &v)) != ARG_END) {
        if (k == ARG_BAD) {
            return EXIT_USAGE;
        } else if (k == ARG_POSITIONAL) {
            if (path != NULL) {
                diag_error("ls takes one image; '%s' is a second", shown(v));
                return EXIT_USAGE;
            }
            path = v;
        } else if (k == OPT_JSON) {
            json = 1;
        }
    }
    if (path == NULL) {
        diag_error("usage: romfs ls IMAGE [--json]");
        return EXIT_USAGE;
    }
    image_file f;
    if (image_file_open(&f, path) != 0) {
        return EXIT_INPUT;
    }
    int status = listing_print(stdout, &f, json) == 0 ? 0 : EXIT_INPUT;
    image_file_close(&f);
    return status;
}

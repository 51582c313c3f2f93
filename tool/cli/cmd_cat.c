/* `romfs cat`: one file's exact bytes on stdout. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "cli/commands.h"
#include "util/diag.h"
#include "util/path.h"
#include "inspect/image_file.h"

int cmd_cat(int argc, char **argv) {
    static const opt_spec specs[] = {{0, NULL, 0}};
    args a;
    args_init(&a, argc, argv);
    const char *pos[3] = {0}, *v;
    int n = 0, k;
    while ((k = args_next(&a, specs, &v)) != ARG_END) {
        if (k == ARG_BAD) {
            return EXIT_USAGE;
        }
        if (n < 3) {
            pos[n] = v;
        }
        n++;
    }
    if (n != 2) {
        diag_error("usage: romfs cat IMAGE PATH");
        return EXIT_USAGE;
    }
    image_file f;
    if (image_file_open(&f, pos[0]) != 0) {
        return EXIT_INPUT;
    }
    romfs_entry e;
    romfs_status st = romfs_find_file(&f.img, pos[1], &e);
    int status = 0;
    if (st != ROMFS_OK) {
        diag_error("%s: %s: %s%s", shown(pos[0]), shown(pos[1]), romfs_strerror(st),
                   st == ROMFS_E_CORRUPT ? " (romfs verify says where)" : "");
        status = EXIT_INPUT;
    } else if (write_all(STDOUT_FILENO, e.data, e.size) != 0) {
        diag_error("cannot write to stdout: %s", strerror(errno));
        status = EXIT_INPUT;
    }
    image_file_close(&f);
    return status;
}

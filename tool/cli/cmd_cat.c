/* `romfs cat`: one file's exact bytes on stdout. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "inspect/image_file.h"
#include "util/diag.h"
#include "util/io.h"
#include "util/path.h"

const cli_option cat_options[] = {{0}};

int run_cat(const cli_args *a) {
    const char *image = a->operands[0], *path = a->operands[1];
    image_file f;
    if (image_file_open(&f, image) != 0) {
        return EXIT_INPUT;
    }
    romfs_entry e;
    romfs_status st = romfs_find_file(&f.img, path, &e);
    int status = 0;
    if (st != ROMFS_OK) {
        diag_error("%s: %s: %s%s", shown(image), shown(path), romfs_strerror(st),
                   st == ROMFS_E_CORRUPT ? " (romfs verify says where)" : "");
        status = EXIT_INPUT;
    } else if (write_all(STDOUT_FILENO, e.data, e.size) != 0) {
        diag_error("cannot write to stdout: %s", strerror(errno));
        status = EXIT_INPUT;
    }
    image_file_close(&f);
    return status;
}

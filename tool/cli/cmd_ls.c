/* `romfs ls`: every entry with its size, data offset and the alignment
 * that offset gives. Works on any writer's image, mpremote's included. */
#include <stdio.h>

#include "cli/commands.h"
#include "inspect/image_file.h"
#include "inspect/listing.h"
#include "util/diag.h"

enum { L_JSON };

static const cli_option ls_options[] = {
    [L_JSON] = {0, "json", NULL, "print JSON instead of text"},
    {0},
};

static int run_ls(const cli_args *a) {
    image_file f;
    if (image_file_open(&f, a->operands[0]) != 0) {
        return EXIT_INPUT;
    }
    int status = listing_print(stdout, &f, cli_flag(a, L_JSON)) == 0 ? 0 : EXIT_INPUT;
    image_file_close(&f);
    return status;
}

const cli_command ls_command = {
    .name = "ls",
    .operands = "IMAGE",
    .min_operands = 1,
    .max_operands = 1,
    .summary = "list path, size, data offset and alignment of every entry",
    .options = ls_options,
    .run = run_ls,
};

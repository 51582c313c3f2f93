/* `romfs ls`: every entry with its size, data offset and the alignment
 * that offset gives. Works on any writer's image, mpremote's included,
 * raw or in a flash file (.hex, .uf2, .dfu, .elf), which it says. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/policy.h"
#include "inspect/image_file.h"
#include "inspect/listing.h"
#include "util/diag.h"

enum { L_JSON, L_MANIFEST, L_DEFINE, L_TARGET };

const cli_option ls_options[] = {
    [L_JSON] = {.longname = "json", .help = "print JSON instead of text"},
    CLI_POLICY_OPTIONS,
    {0},
};

int run_ls(const cli_args *a) {
    cli_policy p;
    int status = cli_policy_open(&p, a, L_MANIFEST, L_DEFINE, L_TARGET);
    image_file f;
    if (status == 0 && image_file_open_flash(&f, a->operands[0]) != 0) {
        status = EXIT_INPUT;
    } else if (status == 0) {
        status = listing_print(stdout, &f, cli_flag(a, L_JSON), p.active) == 0 ? 0 : EXIT_INPUT;
        image_file_close(&f);
    }
    cli_policy_close(&p);
    return status;
}

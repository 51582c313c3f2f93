/* `romfs verify`: structure and alignment, one line per fault, and on
 * success one line that says what was checked and by which rules. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/policy.h"
#include "inspect/data_area.h"
#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "util/diag.h"

enum { V_QUIET, V_MANIFEST, V_DEFINE, V_TARGET };

const cli_option verify_options[] = {
    [V_QUIET] = {.shortname = 'q',
                 .longname = "quiet",
                 .help = "print nothing when the image is sound"},
    CLI_POLICY_OPTIONS,
    {0},
};

int run_verify(const cli_args *a) {
    const char *path = a->operands[0];
    cli_policy p;
    int status = cli_policy_open(&p, a, V_MANIFEST, V_DEFINE, V_TARGET);
    image_file f;
    if (status == 0 && image_file_open(&f, path) != 0) {
        status = EXIT_INPUT;
    } else if (status == 0) {
        check_opts o = {.align = p.active};
        check_result r;
        if (image_check(&f, &o, &r) != 0) {
            status = EXIT_INPUT;
        } else if (!cli_flag(a, V_QUIET)) {
            printf("%s: ok: %zu files, %zu directories, %zu bytes; alignment by the %s: every "
                   "file as aligned as it needs, the most %u\n",
                   path, r.files, r.dirs, f.img.size, p.active->rules, r.max_align);
            data_area d;
            if (image_data_area(&f, &d)) {
                printf("%s: data area of %llu bytes at offset %llu: %llu used by files, %llu "
                       "free in %llu holes (the largest %llu); wasted beyond a compact layout: "
                       "%llu bytes (the holes, and %llu of room for the tree to grow)\n",
                       path, (unsigned long long)(d.end - d.start), (unsigned long long)d.start,
                       (unsigned long long)d.used, (unsigned long long)d.free,
                       (unsigned long long)d.holes, (unsigned long long)d.largest_hole,
                       (unsigned long long)(d.free + d.slack), (unsigned long long)d.slack);
            }
        }
        image_file_close(&f);
    }
    cli_policy_close(&p);
    return status;
}

/* `romfs verify`: structure and alignment, one line per fault, and on
 * success one line that says what was checked and by which rules (after
 * one that says where the image sits, for an image in a flash file). */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/policy.h"
#include "format/mpy_header.h"
#include "inspect/data_area.h"
#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "inspect/image_walk.h"
#include "outputs/provenance.h"
#include "util/diag.h"
#include "util/path.h"

enum { V_QUIET, V_PROVENANCE, V_MPY_ABI, V_MANIFEST, V_DEFINE, V_TARGET };

const cli_option verify_options[] = {
    [V_QUIET] = {.shortname = 'q',
                 .longname = "quiet",
                 .help = "print nothing when the image is sound"},
    [V_PROVENANCE] = {.longname = "provenance",
                      .value = "FILE",
                      .help = "check that the image is the one the provenance record describes"},
    [V_MPY_ABI] = {.longname = "mpy-abi",
                   .value = "V[/ARCH]",
                   .help = "fault every .mpy that a firmware of this .mpy version (and "
                           "architecture) would refuse"},
    CLI_POLICY_OPTIONS,
    {0},
};

/* Faults for every .mpy a firmware of `abi` would refuse. */
static size_t check_mpy(const image_file *f, const mpy_abi *abi, const char *text) {
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth, faults = 0;
    while (image_walk_next(&w, &e, &depth) == 1) {
        if (e.type != ROMFS_TYPE_FILE || !path_has_suffix(w.path, w.path_len, ".mpy")) {
            continue;
        }
        mpy_header h;
        const char *why = "header";
        size_t at = (size_t)(e.data - f->bytes);
        if (!mpy_header_parse(e.data, e.size, &h)) {
            diag_error("%s: offset 0x%zx: %s: not a .mpy file (no .mpy header)", shown(f->shown),
                       at, shown(w.path));
            faults++;
        } else if (!mpy_abi_accepts(abi, &h, &why)) {
            char has[64];
            mpy_header_describe(&h, has, sizeof has);
            diag_error("%s: offset 0x%zx: %s: .mpy %s, but --mpy-abi is %s (the %s differs)",
                       shown(f->shown), at, shown(w.path), has, shown(text), why);
            faults++;
        }
    }
    image_walk_end(&w);
    return faults;
}

int run_verify(const cli_args *a) {
    const char *path = a->operands[0], *abi_text = cli_value(a, V_MPY_ABI);
    mpy_abi abi;
    const char *why = abi_text ? mpy_abi_parse(abi_text, &abi) : NULL;
    if (why != NULL) {
        diag_error("--mpy-abi %s, not '%s'", why, shown(abi_text));
        return EXIT_USAGE;
    }
    cli_policy p;
    int status = cli_policy_open(&p, a, V_MANIFEST, V_DEFINE, V_TARGET);
    image_file f;
    if (status == 0 && image_file_open_flash(&f, path) != 0) {
        status = EXIT_INPUT;
    } else if (status == 0) {
        check_opts o = {.align = p.active};
        check_result r;
        if (image_check(&f, &o, &r) != 0 || (abi_text != NULL && check_mpy(&f, &abi, abi_text))) {
            status = EXIT_INPUT;
        } else if (!cli_flag(a, V_QUIET)) {
            if (f.format != FLASH_ROMFS) {
                printf("%s: a ROMFS image of %zu bytes at 0x%08llx in this %s file\n", path,
                       f.len, (unsigned long long)f.address, flash_format_name(f.format));
            }
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
    if (status == 0 && cli_value(a, V_PROVENANCE) != NULL) {
        status = provenance_verify(cli_value(a, V_PROVENANCE), path);
    }
    return status;
}

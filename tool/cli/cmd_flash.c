/* `romfs flash`: an image (raw, or in a flash file) as a flash file for a
 * partition: the options into a deploy request, the image read and
 * checked as `verify` checks it, the rest in deploy/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/deploy_options.h"
#include "cli/policy.h"
#include "deploy/deploy.h"
#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "util/diag.h"
#include "util/number.h"

enum {
    F_OUTPUT,
    F_FORMAT,
    F_WHERE, /* CLI_WHERE_OPTIONS: DO_WHERE_COUNT rows */
    F_SIZE = F_WHERE + DO_WHERE_COUNT,
    F_FILE, /* CLI_FILE_OPTIONS: DO_FILE_COUNT rows */
    F_BASE = F_FILE + DO_FILE_COUNT,
    F_ERASE_BLOCK,
    F_QUIET,
    F_MANIFEST,
    F_DEFINE,
    F_TARGET,
};

const cli_option flash_options[] = {
    [F_OUTPUT] = {.shortname = 'o',
                  .longname = "output",
                  .value = "FILE",
                  .help = "the flash file to write (\"-\": standard output)",
                  .required = true},
    [F_FORMAT] = {.longname = "format",
                  .value = "FORMAT",
                  .help = "bin, hex, uf2, dfu or elf (default: from FILE's extension)"},
    CLI_WHERE_OPTIONS(""),
    [F_SIZE] = {.longname = "size",
                .value = "SIZE",
                .help =
                    "the partition's size, with --address or --manifest (131072, 0x20000, 128K, "
                    "8M)"},
    CLI_FILE_OPTIONS(""),
    [F_BASE] = {.longname = "base",
                .value = "OLD",
                .help = "write only the erase blocks that differ from the image OLD (a delta)"},
    [F_ERASE_BLOCK] = {.longname = "erase-block",
                       .value = "SIZE",
                       .help = "the flash's erase block, for --base and --pad (default "
                               "image.partition.erase_block, else 4K)"},
    [F_QUIET] = {.shortname = 'q', .longname = "quiet", .help = "no summary on stderr"},
    CLI_POLICY_OPTIONS,
    {0},
};

const char *const flash_notes[] = {
    "The partition: exactly one of --address, --firmware and --partition-table, or else\n"
    "image.partition of the --manifest. The image must fit it and lie on the largest\n"
    "alignment its files need (by the built-in rules, --target's or the --manifest's).",
    "With --base, the file holds only the erase blocks the new image changes, each whole\n"
    "(the new image's bytes, 0xff past its end): a flasher erases and writes just those.\n"
    "Identical images write no file.",
    NULL,
};

/* The image's files' largest alignment, as verify finds it; -1 after one
 * error line when the image is not sound. */
static int largest_alignment(const image_file *f, const align_policy *policy, unsigned *out) {
    check_opts o = {.align = policy, .quiet = true};
    check_result r;
    if (image_check(f, &o, &r) != 0) {
        if (r.faults == 1) {
            diag_error("%s", r.first);
        } else {
            diag_error("%s (and %zu more faults: see romfs verify)", r.first, r.faults - 1);
        }
        return -1;
    }
    *out = r.max_align;
    return 0;
}

/* The options that are flash's own: EXIT_USAGE after a message, else 0. */
static int parse_own(const cli_args *a, deploy_request *r, flash_format *format) {
    const char *size = cli_value(a, F_SIZE), *erase = cli_value(a, F_ERASE_BLOCK);
    const char *given = cli_value(a, F_FORMAT), *out = cli_value(a, F_OUTPUT);
    if (size != NULL && (r->where == WHERE_FIRMWARE || r->where == WHERE_TABLE)) {
        diag_error("--size goes with --address or the manifest's partition (the firmware and "
                   "the partition table give their own sizes)");
        return EXIT_USAGE;
    }
    const char *why;
    if (size != NULL && (why = parse_size(size, &r->size)) != NULL) {
        diag_error("--size %s, not '%s'", why, shown(size));
        return EXIT_USAGE;
    }
    r->has_size = size != NULL;
    if (erase != NULL && (why = parse_block_size(erase, &r->erase_block)) != NULL) {
        diag_error("--erase-block %s, not '%s'", why, shown(erase));
        return EXIT_USAGE;
    }
    r->base = cli_value(a, F_BASE);
    flash_format f = given ? flash_format_parse(given) : FLASH_UNKNOWN;
    if (given != NULL && f == FLASH_UNKNOWN) {
        diag_error("--format must be bin, hex, uf2, dfu or elf, not '%s'", shown(given));
        return EXIT_USAGE;
    }
    *format = deploy_format_of(out, f);
    if (*format == FLASH_UNKNOWN) {
        diag_error("cannot tell the format of '%s' from its name: give --format bin, hex, uf2, "
                   "dfu or elf",
                   shown(out));
        return EXIT_USAGE;
    }
    if (!strcmp(out, "-") && isatty(STDOUT_FILENO)) {
        diag_error("not writing a flash file to a terminal: redirect stdout, or give -o FILE");
        return EXIT_USAGE;
    }
    char *conflict = deploy_check_formats(r, format, 1);
    if (conflict != NULL) {
        diag_error("%s", conflict);
        free(conflict);
        return EXIT_USAGE;
    }
    return 0;
}

int run_flash(const cli_args *a) {
    deploy_request r;
    deploy_request_init(&r);
    flash_format format;
    int status = cli_deploy_parse(a, F_WHERE, F_FILE, &r);
    if (status == 0) {
        status = parse_own(a, &r, &format);
    }
    if (status != 0) {
        return status;
    }
    diag_quiet = cli_flag(a, F_QUIET);
    cli_policy p;
    status = cli_policy_open(&p, a, F_MANIFEST, F_DEFINE, F_TARGET);
    if (status == 0 && p.have_manifest) {
        deploy_use_manifest(&r, &p.m);
    }
    if (status == 0 && r.where == WHERE_NONE) {
        diag_error("no partition to write the image to: give --address ADDR, --firmware ELF or "
                   "--partition-table CSV (or a --manifest with image.partition.address)");
        status = EXIT_USAGE;
    }
    image_file f;
    if (status == 0 && image_file_open_flash(&f, a->operands[0]) != 0) {
        status = EXIT_INPUT;
    } else if (status == 0) {
        deploy_image img = {
            .what = f.shown, .size = f.len, .rules = p.active->rules, .bytes = f.bytes};
        if (largest_alignment(&f, p.active, &img.max_align) != 0 ||
            deploy_write(&r, &img, cli_value(a, F_OUTPUT), format) != 0) {
            status = EXIT_INPUT;
        }
        image_file_close(&f);
    }
    cli_policy_close(&p);
    return status;
}

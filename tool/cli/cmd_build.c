/* `romfs build` and `romfs pack-dir`: both feed the same packer, the
 * latter with the manifest a single directory entry would make. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/deploy_options.h"
#include "deploy/deploy.h"
#include "manifest/manifest.h"
#include "manifest/settings.h"
#include "outputs/output.h"
#include "pack/build.h"
#include "util/alloc.h"
#include "util/number.h"
#include "util/path.h"

enum {
    B_OUTPUT,
    B_DEFINE,
    B_CACHE_DIR,
    B_JOBS,
    B_SIZE,
    B_QUIET,
    B_BASE,
    B_LAYOUT,
    B_ERASE_BLOCK,
    B_REPORT_BASE,
    B_LISTING, /* the output kinds with an option of their own, in the registry's order */
    B_DEPFILE,
    B_ALIGN_HEADER,
    B_REPORT,
    B_PROVENANCE,
    B_SBOM,
    B_FLASH,
    B_WHERE, /* CLI_WHERE_OPTIONS and CLI_FILE_OPTIONS, for --flash */
    B_FILE = B_WHERE + DO_WHERE_COUNT,
};

const cli_option build_options[] = {
    [B_OUTPUT] = {.shortname = 'o',
                  .longname = "output",
                  .value = "IMAGE",
                  .help = "the image to write",
                  .required = true},
    [B_DEFINE] = {.shortname = 'D',
                  .longname = "define",
                  .value = "NAME=VALUE",
                  .help = "a value for ${NAME} in the manifest",
                  .repeat = true},
    [B_CACHE_DIR] = {.longname = "cache-dir",
                     .value = "DIR",
                     .help = "the build cache (default: .romfs-cache beside the image)"},
    [B_JOBS] = {.shortname = 'j',
                .longname = "jobs",
                .value = "N",
                .help = "compile this many .py files at once (default: one per processor)"},
    [B_SIZE] = {.longname = "size",
                .value = "SIZE",
                .help = "the capacity, overriding image.size (131072, 0x20000, 128K, 8M)"},
    [B_QUIET] = {.shortname = 'q', .longname = "quiet", .help = "no summary on stderr"},
    [B_BASE] = {.longname = "base",
                .value = "OLD",
                .help = "keep every unchanged file where OLD has it (the block-keeping layout)"},
    [B_LAYOUT] = {.longname = "layout",
                  .value = "canonical|keep",
                  .help = "keep: the block-keeping layout, with room to grow, even without "
                          "--base (the first image of a series you flash in deltas)"},
    [B_ERASE_BLOCK] = {.longname = "erase-block",
                       .value = "SIZE",
                       .help = "the flash's erase block, for --base (default 4K)"},
    [B_REPORT_BASE] = {.longname = "report-base",
                       .value = "OLD",
                       .help = "reports say what changed since the image OLD"},
    [B_LISTING] = {.longname = "listing",
                   .value = "FILE",
                   .help = "save the `romfs ls` listing of the image"},
    [B_DEPFILE] = {.longname = "depfile",
                   .value = "FILE",
                   .help = "write a depfile naming every input (for Ninja, CMake)"},
    [B_ALIGN_HEADER] = {.longname = "align-header",
                        .value = "FILE",
                        .help = "write a header defining ROMFS_IMAGE_ALIGN"},
    [B_REPORT] = {.longname = "report",
                  .value = "FILE",
                  .help = "a size report (.txt, .json, .md or .html)",
                  .repeat = true},
    [B_PROVENANCE] = {.longname = "provenance",
                      .value = "FILE",
                      .help = "what the image was made from, with SHA-256 of every input"},
    [B_SBOM] = {.longname = "sbom", .value = "FILE", .help = "the same as a CycloneDX 1.5 SBOM"},
    [B_FLASH] = {.longname = "flash",
                 .value = "FILE",
                 .help = "the image as a flash file for its partition (.bin, .hex, .uf2, .dfu, "
                         ".elf; as romfs flash writes it)",
                 .repeat = true},
    CLI_WHERE_OPTIONS(" (for --flash)"),
    CLI_FILE_OPTIONS(" (for --flash)"),
    {0},
};

/* The side outputs asked for, in the registry's order. */
static output *requested_outputs(const cli_args *a, size_t *n) {
    size_t max = 0;
    for (int k = B_LISTING; k <= B_FLASH; k++) {
        max += cli_count(a, k);
    }
    output *outs = xcalloc(max ? max : 1, sizeof *outs);
    *n = 0;
    for (int k = B_LISTING; k <= B_FLASH; k++) {
        for (size_t i = 0; i < cli_count(a, k); i++) {
            outs[*n].kind = output_kind_for_option(build_options[k].longname);
            outs[(*n)++].path = a->opts[k].v[i];
        }
    }
    return outs;
}

/* --flash and its options, as far as the command line alone can tell:
 * EXIT_USAGE after a message, else 0. */
static int check_flash_options(const cli_args *a, deploy_request *r) {
    size_t n = cli_count(a, B_FLASH);
    const char *option = cli_deploy_given(a, B_WHERE, B_FILE);
    if (n == 0 && option != NULL) {
        diag_error("--%s is for --flash FILE, and none is asked for", option);
        return EXIT_USAGE;
    }
    if (n == 0 || cli_deploy_parse(a, B_WHERE, B_FILE, r) != 0) {
        return n == 0 ? 0 : EXIT_USAGE;
    }
    if (!strcmp(cli_value(a, B_OUTPUT), "-")) {
        diag_error("--flash reads the image back from its file: give -o IMAGE, not -");
        return EXIT_USAGE;
    }
    flash_format *formats = xcalloc(n, sizeof *formats);
    int status = 0;
    for (size_t i = 0; i < n && status == 0; i++) {
        const char *path = a->opts[B_FLASH].v[i];
        formats[i] = deploy_format_of(path, FLASH_UNKNOWN);
        if (formats[i] == FLASH_UNKNOWN) {
            diag_error("--flash %s: cannot tell its format from its name (.bin, .hex, .uf2, .dfu "
                       "or .elf)",
                       shown(path));
            status = EXIT_USAGE;
        }
    }
    char *conflict = status == 0 ? deploy_check_formats(r, formats, n) : NULL;
    if (conflict != NULL) {
        diag_error("%s", conflict);
        free(conflict);
        status = EXIT_USAGE;
    }
    free(formats);
    return status;
}

int run_build(const cli_args *a) {
    defines defs = {0};
    build_opts o = {0};
    uint64_t capacity = 0;
    const char *size = cli_value(a, B_SIZE), *jobs = cli_value(a, B_JOBS);
    int status = EXIT_USAGE;
    for (size_t i = 0; i < cli_count(a, B_DEFINE); i++) {
        if (defines_add(&defs, a->opts[B_DEFINE].v[i]) != 0) {
            goto out;
        }
    }
    if (jobs != NULL) {
        char *end;
        unsigned long n = strtoul(jobs, &end, 10);
        if (*jobs < '1' || *jobs > '9' || *end != '\0' || n > 1024) {
            diag_error("--jobs must be a number from 1 to 1024, not '%s'", shown(jobs));
            goto out;
        }
        o.jobs = (unsigned)n;
    }
    if (size != NULL) {
        const char *why = parse_size(size, &capacity);
        if (why != NULL) {
            diag_error("--size %s, not '%s'", why, shown(size));
            goto out;
        }
    }
    const char *erase = cli_value(a, B_ERASE_BLOCK);
    if (erase != NULL) {
        const char *why = parse_block_size(erase, &o.erase_block);
        if (why != NULL) {
            diag_error("--erase-block %s, not '%s'", why, shown(erase));
            goto out;
        }
    }
    deploy_request flash;
    deploy_request_init(&flash);
    if ((status = check_flash_options(a, &flash)) != 0) {
        goto out;
    }
    flash.erase_block = o.erase_block;
    o.deploy = &flash;
    diag_quiet = cli_flag(a, B_QUIET);
    o.base = cli_value(a, B_BASE);
    const char *layout_name = cli_value(a, B_LAYOUT);
    if (layout_name != NULL && strcmp(layout_name, "keep") != 0 &&
        strcmp(layout_name, "canonical") != 0) {
        diag_error("--layout must be canonical or keep, not '%s'", shown(layout_name));
        status = EXIT_USAGE;
        goto out;
    }
    if (layout_name != NULL && !strcmp(layout_name, "canonical") && o.base != NULL) {
        diag_error("--base OLD asks for the block-keeping layout; it cannot go with --layout "
                   "canonical");
        status = EXIT_USAGE;
        goto out;
    }
    o.keep_layout = o.base != NULL || (layout_name != NULL && !strcmp(layout_name, "keep"));
    o.report_base = cli_value(a, B_REPORT_BASE);
    o.defs = &defs;
    o.output = cli_value(a, B_OUTPUT);
    o.cache_dir = cli_value(a, B_CACHE_DIR);
    o.outputs = requested_outputs(a, &o.n_outputs);
    o.mpy_cross = defines_get(&defs, "ROMFS_MPY_CROSS", strlen("ROMFS_MPY_CROSS"));
    manifest m;
    status = EXIT_INPUT;
    if (manifest_load(a->operands[0], &defs, &m) == 0) {
        if (size != NULL) { /* the command line's capacity beats the manifest's */
            m.has_capacity = true;
            m.capacity = capacity;
            memset(&m.capacity_pos, 0, sizeof m.capacity_pos);
        }
        deploy_use_manifest(&flash, &m);
        if (cli_count(a, B_FLASH) > 0 && flash.where == WHERE_NONE) {
            diag_error("--flash needs the partition's address: give image.partition.address in "
                       "the manifest, or --address ADDR, --firmware ELF or --partition-table CSV");
            status = EXIT_USAGE;
        } else if (cli_count(a, B_FLASH) == 0 || deploy_check_partition(&flash) == 0) {
            status = build_run(&m, &o);
        }
    }
    manifest_free(&m);
    free(o.outputs);
out:
    defines_free(&defs);
    return status;
}

const char *const build_notes[] = {
    "Directory entries leave out, unless image.default_excludes is false (or a rule or entry\n"
    "says exclude: false): " DEFAULT_EXCLUDES_TEXT ".\n"
    "A file named as an entry's src is always packed.",
    NULL,
};

enum { P_OUTPUT, P_ALIGN, P_DEPFILE, P_QUIET };

const cli_option pack_dir_options[] = {
    [P_OUTPUT] = {.shortname = 'o',
                  .longname = "output",
                  .value = "IMAGE",
                  .help = "the image to write",
                  .required = true},
    [P_ALIGN] = {.longname = "align",
                 .value = "N",
                 .help = "align every file's data on N bytes (default 4; 1: as mpremote)"},
    [P_DEPFILE] = {.longname = "depfile",
                   .value = "FILE",
                   .help = "write a depfile naming every input (for Ninja, CMake)"},
    [P_QUIET] = {.shortname = 'q', .longname = "quiet", .help = "no summary on stderr"},
    {0},
};

int run_pack_dir(const cli_args *a) {
    const char *dir = a->operands[0], *align_text = cli_value(a, P_ALIGN);
    unsigned align = 4;
    if (align_text != NULL) {
        const char *why = parse_align(align_text, &align);
        if (why != NULL) {
            diag_error("--align %s, not '%s'", why, shown(align_text));
            return EXIT_USAGE;
        }
    }
    diag_quiet = cli_flag(a, P_QUIET);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        diag_error("%s: not a directory", shown(dir));
        return EXIT_INPUT;
    }
    output depfile = {output_kind_for_option("depfile"), cli_value(a, P_DEPFILE)};
    build_opts o = {
        .output = cli_value(a, P_OUTPUT), .outputs = &depfile, .n_outputs = depfile.path != NULL};
    file_entry e = {0};
    e.src = (char *)dir;
    e.dst = ".";
    e.set.mpy = MPY_UNSET;
    e.set.exclude = -1;
    manifest m = {0};
    m.dir = path_abs(".");
    m.image.align = align;
    m.image.mpy = MPY_OFF;
    m.image.exclude = -1;
    m.default_excludes = false; /* mpremote packs everything; so does pack-dir */
    m.files = &e;
    m.n_files = 1;
    int status = build_run(&m, &o);
    free(m.dir);
    return status;
}

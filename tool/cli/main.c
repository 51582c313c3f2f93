/* romfs: MicroPython ROMFS images from a manifest, and tools to inspect
 * them. This file holds the table of subcommands and dispatches to them;
 * `romfs --help` and `romfs CMD --help` are printed from the same table
 * that parses the arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/version.h"

/* name, operands, how many, summary, options, handler, --help notes */
static const cli_command commands[] = {
    {"build", "MANIFEST", 1, 1, "pack the files a manifest names into an image", build_options,
     run_build, build_notes},
    {"pack-dir", "DIR", 1, 1,
     "pack a directory tree (--align 1: byte-identical to `mpremote romfs build DIR`)",
     pack_dir_options, run_pack_dir, NULL},
    {"ls", "IMAGE", 1, 1,
     "list every entry: path, size, data offset, the alignment it needs and has", ls_options,
     run_ls, NULL},
    {"cat", "IMAGE PATH", 2, 2, "write one file's bytes to stdout", cat_options, run_cat, NULL},
    {"extract", "IMAGE DIR", 2, 2, "write the whole tree into DIR (never outside it)",
     extract_options, run_extract, NULL},
    {"verify", "IMAGE", 1, 1, "check structure and alignment; non-zero on any fault",
     verify_options, run_verify, NULL},
    {"report", "IMAGE", 1, 1, "where the image's bytes go, and what changed against a base",
     report_options, run_report, NULL},
    {"flash", "IMAGE", 1, 1,
     "write the image as a flash file for its partition: whole, with firmware, or a delta",
     flash_options, run_flash, flash_notes},
    {0},
};

static void print_help(void) {
    fputs("usage: romfs COMMAND [ARGS]   (romfs COMMAND --help for its options)\n\n", stdout);
    for (const cli_command *c = commands; c->name != NULL; c++) {
        char *line = cli_usage_line(c);
        printf("  romfs %s\n      %s\n", line, c->summary);
        free(line);
    }
    fputs("  romfs --version\n      print the version\n"
          "\n"
          "Exit status: 0 success, 1 bad input (manifest, file or image), 2 wrong usage.\n",
          stdout);
}

static bool asks_for_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            return false;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            return true;
        }
    }
    return false;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        diag_error("no command given (see romfs --help)");
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
        printf("romfs %s\n", ROMFS_VERSION);
        return 0;
    }
    bool help = !strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help");
    if (help && argc < 3) {
        print_help();
        return 0;
    }
    if (help) {
        name = argv[2];
    }
    for (const cli_command *cmd = commands; cmd->name != NULL; cmd++) {
        if (strcmp(name, cmd->name) != 0) {
            continue;
        }
        if (help || asks_for_help(argc - 2, argv + 2)) {
            cli_print_help(stdout, cmd);
            return 0;
        }
        cli_args a;
        int status = EXIT_USAGE;
        if (cli_parse(cmd, argc - 2, argv + 2, &a) == 0) {
            atomic_install_signal_cleanup();
            status = cmd->run(&a);
        }
        cli_args_free(&a);
        return status;
    }
    diag_error("unknown command '%s' (see romfs --help)", shown(name));
    return EXIT_USAGE;
}

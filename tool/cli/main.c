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

static const cli_command *const commands[] = {
    &build_command,   &pack_dir_command, &ls_command, &cat_command,
    &extract_command, &verify_command,   NULL,
};

static void print_help(void) {
    fputs("usage: romfs COMMAND [ARGS]   (romfs COMMAND --help for its options)\n\n", stdout);
    for (size_t i = 0; commands[i] != NULL; i++) {
        char *line = cli_usage_line(commands[i]);
        printf("  romfs %s\n      %s\n", line, commands[i]->summary);
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
    for (size_t i = 0; commands[i] != NULL; i++) {
        const cli_command *cmd = commands[i];
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

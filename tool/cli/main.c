/* romfs: MicroPython ROMFS images from a manifest, and tools to inspect
 * them. This file only dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "util/atomic_file.h"
#include "cli/commands.h"
#include "util/diag.h"
#include "util/version.h"

static const char usage[] =
    "usage: romfs COMMAND [ARGS]\n"
    "\n"
    "  build MANIFEST -o IMAGE [-D NAME=VALUE]... [--depfile FILE] [--cache-dir DIR]\n"
    "        [--jobs N] [--size SIZE] [--listing FILE] [--align-header FILE] [--quiet]\n"
    "                          pack the files a manifest names into an image\n"
    "  pack-dir DIR -o IMAGE [--align N]\n"
    "                          pack a directory tree (--align 1: as mpremote romfs build)\n"
    "  ls IMAGE [--json]       list path, size, data offset and alignment of every entry\n"
    "  cat IMAGE PATH          write one file's bytes to stdout\n"
    "  extract IMAGE DIR       write the whole tree into DIR\n"
    "  verify IMAGE [--manifest MANIFEST] [-D NAME=VALUE]...\n"
    "                          check structure and alignment; non-zero on any fault\n"
    "  --version               print the version\n"
    "\n"
    "Exit status: 0 success, 1 bad input (manifest, file or image), 2 wrong usage.\n";

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"build", cmd_build}, {"pack-dir", cmd_pack_dir}, {"ls", cmd_ls},
        {"cat", cmd_cat},     {"extract", cmd_extract},   {"verify", cmd_verify},
    };
    if (argc < 2) {
        diag_error("no command given (see romfs --help)");
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("romfs %s\n", ROMFS_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    atomic_install_signal_cleanup();
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!strcmp(cmd, commands[i].name)) {
            return commands[i].run(argc - 2, argv + 2);
        }
    }
    diag_error("unknown command '%s' (see romfs --help)", shown(cmd));
    return EXIT_USAGE;
}

/* The subcommands, one file each; cli/main.c holds the table. */
#ifndef ROMFS_CLI_COMMANDS_H
#define ROMFS_CLI_COMMANDS_H

#include "cli/options.h"

extern const cli_command build_command;
extern const cli_command pack_dir_command;
extern const cli_command ls_command;
extern const cli_command cat_command;
extern const cli_command extract_command;
extern const cli_command verify_command;

#endif

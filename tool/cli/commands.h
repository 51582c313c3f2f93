/* The subcommands, one file each: each gives its option table and its
 * handler; cli/main.c holds the table that names them. */
#ifndef ROMFS_CLI_COMMANDS_H
#define ROMFS_CLI_COMMANDS_H

#include "cli/options.h"

extern const cli_option build_options[];
int run_build(const cli_args *a);
extern const char *const build_notes[];
extern const cli_option pack_dir_options[];
int run_pack_dir(const cli_args *a);
extern const cli_option cat_options[];
int run_cat(const cli_args *a);
extern const cli_option extract_options[];
int run_extract(const cli_args *a);
extern const cli_option ls_options[];
int run_ls(const cli_args *a);
extern const cli_option verify_options[];
int run_verify(const cli_args *a);
extern const cli_option report_options[];
int run_report(const cli_args *a);
extern const cli_option flash_options[];
int run_flash(const cli_args *a);
extern const char *const flash_notes[];

#endif

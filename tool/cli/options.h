/* The command line: every subcommand is one cli_command (its name,
 * operands, options with their help, and its handler), and that one
 * description both parses the arguments and prints --help, so usage text
 * cannot drift from what is accepted. Options take the usual forms: `-o
 * FILE`, `-oFILE`, `--output FILE`, `--output=FILE`, flags, and `--` to
 * end options. */
#ifndef ROMFS_CLI_OPTIONS_H
#define ROMFS_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    char shortname;       /* 0: none */
    const char *longname; /* without "--"; NULL ends a table */
    const char *value;    /* what it takes, as help shows it ("FILE"); NULL: a flag */
    const char *help;
    bool repeat;   /* may be given more than once (all values are kept) */
    bool required; /* the usage line shows it beside the operands */
} cli_option;

typedef struct cli_command cli_command;

typedef struct {
    const cli_command *cmd;
    const char **operands;
    size_t n_operands;
    struct {
        const char **v;
        size_t n;
    } * opts; /* by index in cmd->options: each value given, or one NULL per flag */
} cli_args;

struct cli_command {
    const char *name;
    const char *operands; /* as the usage line shows them: "IMAGE DIR" */
    size_t min_operands, max_operands;
    const char *summary;
    const cli_option *options; /* ended by a NULL longname */
    int (*run)(const cli_args *a);
    const char *const *notes; /* paragraphs for --help after the options; NULL-ended, may be NULL */
};

/* -1 after a usage error, printed. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out);
void cli_args_free(cli_args *a);
/* The last value of option `i`, or NULL when it was not given. */
const char *cli_value(const cli_args *a, int i);
size_t cli_count(const cli_args *a, int i);
bool cli_flag(const cli_args *a, int i);

/* "build MANIFEST -o IMAGE [options]", allocated. */
char *cli_usage_line(const cli_command *cmd);
/* The usage line, the summary and the option list. */
void cli_print_help(FILE *out, const cli_command *cmd);
/* One error line: "usage: romfs build MANIFEST -o IMAGE [...] (see romfs build --help)". */
void cli_usage_error(const cli_command *cmd);

#endif

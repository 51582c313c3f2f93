/* The alignment rules `ls`, `verify` and `report` judge an image by, from
 * their options: --manifest M (with -D), else --target T, else the
 * built-ins. */
#ifndef ROMFS_CLI_POLICY_H
#define ROMFS_CLI_POLICY_H

#include "cli/options.h"
#include "manifest/manifest.h"
#include "pack/align_policy.h"

typedef struct {
    manifest m;
    bool have_manifest;
    defines defs;
    builtin_policy builtin;
    plan_policy plan;
    const align_policy *active;
} cli_policy;

/* The option indices of --manifest, -D and --target in the command's table.
 * Returns an exit status: 0, or EXIT_USAGE / EXIT_INPUT after a message. */
int cli_policy_open(cli_policy *p, const cli_args *a, int opt_manifest, int opt_define,
                    int opt_target);
void cli_policy_close(cli_policy *p);

/* The options' rows, for a command's table. */
#define CLI_POLICY_OPTIONS                                                                         \
    {.shortname = 'm',                                                                             \
     .longname = "manifest",                                                                       \
     .value = "MANIFEST",                                                                          \
     .help = "judge by what this manifest's build decides"},                                       \
        {.shortname = 'D',                                                                         \
         .longname = "define",                                                                     \
         .value = "NAME=VALUE",                                                                    \
         .help = "a value for ${NAME} in the manifest",                                            \
         .repeat = true},                                                                          \
    {                                                                                              \
        .longname = "target", .value = "TARGET", .help = "judge by a target's built-in rules (n6)" \
    }

#endif

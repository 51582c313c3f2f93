/* Command-line options in the usual forms: `-o FILE`, `-oFILE`,
 * `--output FILE`, `--output=FILE`, flags, and `--` to end options. */
#ifndef ROMFS_ARGS_H
#define ROMFS_ARGS_H

typedef struct {
    char shortname;       /* 0: none */
    const char *longname; /* without "--"; NULL: none */
    int takes_value;
} opt_spec;

typedef struct {
    int argc;
    char **argv;
    int i;
    int only_positional;
} args;

enum { ARG_END = -1, ARG_POSITIONAL = -2, ARG_BAD = -3 };

void args_init(args *a, int argc, char **argv);
/* The index in `specs` (ended by a {0, NULL, 0} entry) of the next
 * option, ARG_POSITIONAL with *value the argument, ARG_END, or ARG_BAD
 * with the usage error printed. */
int args_next(args *a, const opt_spec *specs, const char **value);

#endif

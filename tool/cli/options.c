#include "cli/options.h"

#include <string.h>

#include "util/diag.h"

void args_init(args *a, int argc, char **argv) {
    a->argc = argc;
    a->argv = argv;
    a->i = 0;
    a->only_positional = 0;
}

int args_next(args *a, const opt_spec *specs, const char **value) {
    if (a->i >= a->argc) {
        return ARG_END;
    }
    const char *arg = a->argv[a->i++];
    if (a->only_positional || arg[0] != '-' || arg[1] == '\0') {
        *value = arg;
        return ARG_POSITIONAL;
    }
    if (!strcmp(arg, "--")) {
        a->only_positional = 1;
        return args_next(a, specs, value);
    }
    const char *inline_value = NULL;
    int found = -1;
    if (arg[1] == '-') {
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        for (int k = 0; specs[k].shortname || specs[k].longname; k++) {
            if (specs[k].longname && strlen(specs[k].longname) == len &&
                !strncmp(specs[k].longname, name, len)) {
                found = k;
            }
        }
        if (found >= 0 && eq != NULL) {
            inline_value = eq + 1;
        }
    } else {
        for (int k = 0; specs[k].shortname || specs[k].longname; k++) {
            if (specs[k].shortname == arg[1]) {
                found = k;
            }
        }
        if (found >= 0 && arg[2] != '\0') {
            inline_value = arg + 2;
        }
    }
    if (found < 0) {
        diag_error("unknown option '%s' (see romfs --help)", shown(arg));
        return ARG_BAD;
    }
    if (!specs[found].takes_value) {
        if (inline_value != NULL) {
            diag_error("option '%s' takes no value", shown(arg));
            return ARG_BAD;
        }
        return found;
    }
    if (inline_value == NULL) {
        if (a->i >= a->argc) {
            diag_error("option '%s' needs a value", shown(arg));
            return ARG_BAD;
        }
        inline_value = a->argv[a->i++];
    }
    *value = inline_value;
    return found;
}

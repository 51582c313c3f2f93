#include "cli/options.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/diag.h"

static size_t n_options(const cli_command *cmd) {
    size_t n = 0;
    while (cmd->options[n].longname != NULL) {
        n++;
    }
    return n;
}

static int find_long(const cli_command *cmd, const char *name, size_t len) {
    for (int k = 0; cmd->options[k].longname != NULL; k++) {
        if (strlen(cmd->options[k].longname) == len &&
            !strncmp(cmd->options[k].longname, name, len)) {
            return k;
        }
    }
    return -1;
}

static int find_short(const cli_command *cmd, char c) {
    for (int k = 0; cmd->options[k].longname != NULL; k++) {
        if (cmd->options[k].shortname == c) {
            return k;
        }
    }
    return -1;
}

static void keep(cli_args *a, int k, const char *value) {
    a->opts[k].v = xrealloc(a->opts[k].v, (a->opts[k].n + 1) * sizeof *a->opts[k].v);
    a->opts[k].v[a->opts[k].n++] = value;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_args *out) {
    memset(out, 0, sizeof *out);
    out->cmd = cmd;
    out->operands = xcalloc((size_t)argc + 1, sizeof *out->operands);
    out->opts = xcalloc(n_options(cmd) + 1, sizeof *out->opts);
    bool only_operands = false;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (only_operands || arg[0] != '-' || arg[1] == '\0') { /* "-" is an operand */
            out->operands[out->n_operands++] = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            only_operands = true;
            continue;
        }
        const char *inline_value = NULL;
        int k;
        if (arg[1] == '-') {
            const char *name = arg + 2;
            const char *eq = strchr(name, '=');
            k = find_long(cmd, name, eq ? (size_t)(eq - name) : strlen(name));
            inline_value = k >= 0 && eq ? eq + 1 : NULL;
        } else {
            k = find_short(cmd, arg[1]);
            inline_value = k >= 0 && arg[2] != '\0' ? arg + 2 : NULL;
        }
        if (k < 0) {
            diag_error("unknown option '%s' (see romfs %s --help)", shown(arg), cmd->name);
            return -1;
        }
        const cli_option *o = &cmd->options[k];
        if (o->value == NULL && inline_value != NULL) {
            diag_error("option '%s' takes no value", shown(arg));
            return -1;
        }
        if (o->value != NULL && inline_value == NULL) {
            if (i + 1 >= argc) {
                diag_error("option '%s' needs a value (%s)", shown(arg), o->value);
                return -1;
            }
            inline_value = argv[++i];
        }
        if (!o->repeat && o->value != NULL && out->opts[k].n > 0) {
            diag_error("option --%s is given twice", o->longname);
            return -1;
        }
        keep(out, k, inline_value);
    }
    bool missing = false;
    for (size_t k = 0; k < n_options(cmd); k++) {
        missing |= cmd->options[k].required && out->opts[k].n == 0;
    }
    if (missing || out->n_operands < cmd->min_operands || out->n_operands > cmd->max_operands) {
        cli_usage_error(cmd);
        return -1;
    }
    return 0;
}

void cli_args_free(cli_args *a) {
    if (a->opts != NULL && a->cmd != NULL) {
        for (size_t k = 0; k < n_options(a->cmd); k++) {
            free(a->opts[k].v);
        }
    }
    free(a->opts);
    free(a->operands);
    memset(a, 0, sizeof *a);
}

const char *cli_value(const cli_args *a, int i) {
    return a->opts[i].n ? a->opts[i].v[a->opts[i].n - 1] : NULL;
}

size_t cli_count(const cli_args *a, int i) {
    return a->opts[i].n;
}

bool cli_flag(const cli_args *a, int i) {
    return a->opts[i].n > 0;
}

char *cli_usage_line(const cli_command *cmd) {
    char *line = xasprintf("%s %s", cmd->name, cmd->operands);
    bool optional = false;
    for (const cli_option *o = cmd->options; o->longname != NULL; o++) {
        optional |= !o->required;
        if (o->required) {
            char *longer = o->shortname ? xasprintf("%s -%c %s", line, o->shortname, o->value)
                                        : xasprintf("%s --%s %s", line, o->longname, o->value);
            free(line);
            line = longer;
        }
    }
    if (!optional) {
        return line;
    }
    char *full = xasprintf("%s [options]", line);
    free(line);
    return full;
}

void cli_print_help(FILE *out, const cli_command *cmd) {
    char *line = cli_usage_line(cmd);
    fprintf(out, "usage: romfs %s\n\n%s\n", line, cmd->summary);
    free(line);
    if (cmd->options[0].longname != NULL) {
        fputs("\noptions:\n", out);
    }
    for (const cli_option *o = cmd->options; o->longname != NULL; o++) {
        char left[64];
        int n = 0;
        if (o->shortname) {
            n = snprintf(left, sizeof left, "-%c, ", o->shortname);
        }
        snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", o->longname, o->value ? " " : "",
                 o->value ? o->value : "");
        fprintf(out, "  %-26s %s%s\n", left, o->help, o->repeat ? " (repeatable)" : "");
    }
    for (const char *const *n = cmd->notes; n != NULL && *n != NULL; n++) {
        fprintf(out, "\n%s\n", *n);
    }
}

void cli_usage_error(const cli_command *cmd) {
    char *line = cli_usage_line(cmd);
    diag_error("usage: romfs %s (see romfs %s --help)", line, cmd->name);
    free(line);
}

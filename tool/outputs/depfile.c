/* Escaping follows GCC's -MD output, which both Ninja and GNU make parse:
 * a space or '#' gets a backslash (and so do the backslashes just before
 * it), '$' doubles. A newline cannot be written at all. */
#include "outputs/depfile.h"

#include "util/atomic_file.h"
#include "util/bytes.h"
#include "util/diag.h"

static int add_path(bytebuf *t, const char *path) {
    for (const char *c = path; *c; c++) {
        if (*c == '\n' || *c == '\r') {
            diag_error("%s: cannot be named in a depfile (it contains a line break)", shown(path));
            return -1;
        }
        if (*c == ' ' || *c == '#') {
            for (const char *b = c; b > path && b[-1] == '\\'; b--) {
                buf_add(t, "\\", 1);
            }
            buf_add(t, "\\", 1);
        } else if (*c == '$') {
            buf_add(t, "$", 1);
        }
        buf_add(t, c, 1);
    }
    return 0;
}

/* Written on every build, up to date or not: Ninja reads a depfile after
 * each run of its command and then deletes it. */
static int write_depfile(output *o, const build_view *v) {
    bytebuf t = {0};
    int rc = add_path(&t, v->image);
    buf_add(&t, ":", 1);
    for (size_t i = 0; rc == 0 && i < v->deps->n; i++) {
        buf_add(&t, " \\\n  ", 5);
        rc = add_path(&t, v->deps->v[i]);
    }
    buf_add(&t, "\n", 1);
    if (rc == 0) {
        rc = atomic_write(o->path, t.p, t.len);
    }
    buf_free(&t);
    return rc;
}

const output_kind depfile_output = {
    .name = "the depfile",
    .option = "depfile",
    .help = "a Make-style depfile naming every input, for Ninja and CMake",
    .write = write_depfile,
};

/* Escaping follows GCC's -MD output, which both Ninja and GNU make parse:
 * a space or '#' gets a backslash (and so do the backslashes just before
 * it), '$' doubles. A newline cannot be written at all. */
#include "outputs/depfile.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/diag.h"

typedef struct {
    char *p;
    size_t len, cap;
} text;

static void add(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = xrealloc(t->p, t->cap);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
}

static int add_path(text *t, const char *path) {
    for (const char *c = path; *c; c++) {
        if (*c == '\n' || *c == '\r') {
            diag_error("%s: cannot be named in a depfile (it contains a line break)", shown(path));
            return -1;
        }
        if (*c == ' ' || *c == '#') {
            for (const char *b = c; b > path && b[-1] == '\\'; b--) {
                add(t, "\\", 1);
            }
            add(t, "\\", 1);
        } else if (*c == '$') {
            add(t, "$", 1);
        }
        add(t, c, 1);
    }
    return 0;
}

int depfile_write(const char *path, const char *target, const strlist *deps) {
    text t = {0};
    int rc = add_path(&t, target);
    add(&t, ":", 1);
    for (size_t i = 0; rc == 0 && i < deps->n; i++) {
        add(&t, " \\\n  ", 5);
        rc = add_path(&t, deps->v[i]);
    }
    add(&t, "\n", 1);
    if (rc == 0) {
        rc = atomic_write(path, t.p, t.len);
    }
    free(t.p);
    return rc;
}

#include "manifest/defines.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/diag.h"

bool defines_is_name(const char *s, size_t len) {
    if (len == 0 || (s[0] >= '0' && s[0] <= '9')) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

const char *defines_get(const defines *d, const char *name, size_t len) {
    for (size_t i = d->n; i-- > 0;) { /* the last -D of a name wins */
        if (strlen(d->v[i].name) == len && !memcmp(d->v[i].name, name, len)) {
            return d->v[i].value;
        }
    }
    return NULL;
}

int defines_add(defines *d, const char *arg) {
    const char *eq = strchr(arg, '=');
    if (eq == NULL || !defines_is_name(arg, (size_t)(eq - arg))) {
        diag_error("-D needs NAME=VALUE with NAME made of letters, digits and '_', not '%s'",
                   shown(arg));
        return -1;
    }
    VEC_RESERVE(d->v, d->n, d->cap);
    d->v[d->n].name = xstrndup(arg, (size_t)(eq - arg));
    d->v[d->n].value = xstrdup(eq + 1);
    d->n++;
    return 0;
}

void defines_free(defines *d) {
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].name);
        free(d->v[i].value);
    }
    free(d->v);
    memset(d, 0, sizeof *d);
}

#include "util/path.h"

#include <errno.h>
#include <stdbool.h>
#include <ftw.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"

char *path_join(const char *a, const char *b) {
    size_t la = strlen(a);
    if (la == 0) {
        return xstrdup(b);
    }
    if (a[la - 1] == '/') {
        return xasprintf("%s%s", a, b);
    }
    return xasprintf("%s/%s", a, b);
}

char *path_abs(const char *path) {
    if (path[0] == '/') {
        return xstrdup(path);
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL) {
        diag_error("cannot find the current directory: %s", strerror(errno));
        exit(EXIT_INPUT);
    }
    if (!strcmp(path, ".") || path[0] == '\0') {
        return xstrdup(cwd);
    }
    const char *p = path;
    while (p[0] == '.' && p[1] == '/') {
        p += 2;
        while (*p == '/') {
            p++;
        }
    }
    return path_join(cwd, p);
}

char *path_dirname_abs(const char *path) {
    char *abs = path_abs(path);
    char *slash = strrchr(abs, '/');
    if (slash == abs) {
        slash[1] = '\0';
    } else {
        *slash = '\0';
    }
    return abs;
}

char *path_basename(const char *path) {
    size_t len = strlen(path);
    while (len > 0 && path[len - 1] == '/') {
        len--;
    }
    size_t start = len;
    while (start > 0 && path[start - 1] != '/') {
        start--;
    }
    char *base = xstrndup(path + start, len - start);
    if (!strcmp(base, ".") || !strcmp(base, "..")) {
        base[0] = '\0';
    }
    return base;
}

int make_dirs(const char *path) {
    if (path[0] == '\0') {
        errno = ENOENT;
        return -1;
    }
    char *p = xstrdup(path);
    for (char *c = p + 1;; c++) {
        if (*c == '/' || *c == '\0') {
            char saved = *c;
            *c = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int err = errno;
                free(p);
                errno = err;
                return -1;
            }
            *c = saved;
            if (saved == '\0') {
                break;
            }
        }
    }
    free(p);
    return 0;
}

bool path_has_suffix(const char *path, size_t len, const char *suffix) {
    size_t n = strlen(suffix);
    return len >= n && memcmp(path + len - n, suffix, n) == 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void remove_tree(const char *path) {
    nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *path_relative(const char *from, const char *to) {
    size_t common = 0, i = 0;
    /* The longest run of whole parts the two share. */
    for (;; i++) {
        bool end_from = from[i] == '\0' || from[i] == '/';
        bool end_to = to[i] == '\0' || to[i] == '/';
        if (end_from && end_to) {
            common = i;
        }
        if (from[i] != to[i] || from[i] == '\0') {
            break;
        }
    }
    char *out = xstrdup("");
    for (const char *p = from + common; *p;) {
        while (*p == '/') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        char *longer = xasprintf("%s%s..", out, out[0] ? "/" : "");
        free(out);
        out = longer;
        while (*p && *p != '/') {
            p++;
        }
    }
    const char *rest = to + common;
    while (*rest == '/') {
        rest++;
    }
    if (*rest) {
        char *longer = xasprintf("%s%s%s", out, out[0] ? "/" : "", rest);
        free(out);
        out = longer;
    }
    if (out[0] == '\0') {
        free(out);
        out = xstrdup(".");
    }
    return out;
}

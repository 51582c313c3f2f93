/* Directory entries are walked in sorted name order, and symlinks inside
 * them are followed only while they stay inside the entry's own tree: a
 * link out of it would make the image depend on files the manifest does
 * not name, and a link to an ancestor would never end. */
#include "pack/sources.h"
#include "manifest/settings.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/number.h"
#include "util/pathmap.h"
#include "util/path.h"
#include "util/utf8.h"

/* Bounds on a walk, whatever the tree holds: symlinks inside a tree may
 * make one real directory appear many times (each link is a copy in the
 * image), but a fan-out of links would multiply without end. */
enum {
    MAX_ENTRIES = 200000,  /* files and directories in one image */
    MAX_DIR_VISITS = 16,   /* times one real directory may be entered */
};

/* What the whole collection has seen so far, across entries. */
typedef struct {
    size_t entries;
    uint64_t bytes;
    pathmap visits; /* "dev:ino" of each directory entered -> its index in counts, + 1 */
    strlist keys;   /* owns the keys of visits */
    size_t *counts, n_counts, cap_counts;
} walk_totals;

typedef struct {
    const manifest *m;
    const file_entry *e;
    collection *c;
    mpy_compiler *mpy;
    bool plan_only;
    walk_totals *totals;
    char *root_real; /* the entry's directory, symlinks resolved */
    struct {
        dev_t dev;
        ino_t ino;
        const char *shown;
    } * stack; /* the directories being walked, to catch cycles */
    size_t depth, cap;
} walk;

static const src_pos *entry_pos(const file_entry *e) {
    return e->pos.line ? &e->pos : NULL;
}

/* Faults found inside a directory entry's tree point at its src. */
static const src_pos *src_at(const walk *w) {
    return w->e->src_pos.line ? &w->e->src_pos : NULL;
}

/* A name from the host that is to become a name in the image. */
static int check_name(const walk *w, const char *shown_path, const char *name) {
    if (!utf8_valid(name, strlen(name))) {
        diag_error_at(src_at(w),
                      "%s: file name is not valid UTF-8 (MicroPython names are str); rename it",
                      shown(shown_path));
        return -1;
    }
    for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            diag_error_at(src_at(w), "%s: file name contains control character 0x%02x; rename it",
                          shown(shown_path), *c);
            return -1;
        }
    }
    return 0;
}

/* The settings of `image_path` (`rel` inside the entry's directory), and
 * whether they leave it out. */
static bool excluded(walk *w, const char *image_path, const char *rel, settings *s) {
    *s = manifest_settings_for(w->m, w->e, image_path);
    for (size_t i = 0; i < w->e->n_exclude; i++) {
        if (glob_match(w->e->exclude_globs[i], rel)) {
            return true;
        }
    }
    return s->exclude == 1;
}

/* Whether the .py at `image_path` is to be compiled. `sibling_mpy`: a
 * .mpy of the same name is packed beside it, and then, as mpremote does,
 * the .py stays as it is. */
static int wants_compile(walk *w, const char *image_path, const settings *s, bool sibling_mpy,
                         bool *compile) {
    *compile = false;
    if (!path_has_suffix(image_path, strlen(image_path), ".py") || s->mpy == MPY_OFF ||
        sibling_mpy) {
        return 0;
    }
    if ((w->plan_only ? mpy_compiler_locate(w->mpy) : mpy_compiler_find(w->mpy)) != NULL) {
        *compile = true;
        return 0;
    }
    if (s->mpy == MPY_AUTO) {
        w->c->mpy_fallbacks++;
        return 0;
    }
    diag_error_at(entry_pos(w->e),
                  "%s: mpy: true, but %s; set image.mpy_cross in the manifest, pass "
                  "-D ROMFS_MPY_CROSS=/path/to/mpy-cross (CMake: ROMFS_MPY_CROSS), put mpy-cross "
                  "on PATH, or use mpy: auto",
                  shown(image_path), w->mpy->missing);
    return -1;
}

/* Counts one more entry of the image, and its bytes; -1 (printed) past a
 * bound, so a walk stops as soon as it is clear the image cannot be. */
static int count_entry(walk *w, const char *shown_src, uint64_t bytes) {
    walk_totals *t = w->totals;
    const manifest *m = w->m;
    t->bytes += bytes;
    if (++t->entries > MAX_ENTRIES) {
        diag_error_at(src_at(w), "%s: the manifest's entries hold more than %d files and "
                                 "directories; the walk stops here",
                      shown(shown_src), MAX_ENTRIES);
        return -1;
    }
    /* Past twice the capacity the image is hopeless and the walk stops; an
     * image just over it is reported by the layout, saying by how much. */
    if (m->has_capacity && t->bytes / 2 > m->capacity) {
        diag_error_at(src_at(w), "%s: the files found so far hold %" PRIu64 " bytes, more than "
                                 "twice %s (%" PRIu64 " bytes); the walk stops here",
                      shown(shown_src), t->bytes, m->capacity_pos.file ? "image.size" : "--size",
                      m->capacity);
        return -1;
    }
    if (t->bytes > SIZE_LIMIT) {
        diag_error_at(src_at(w), "%s: the files found so far hold more than 4096 MiB, more than "
                                 "any image can; the walk stops here",
                      shown(shown_src));
        return -1;
    }
    return 0;
}

static int add_file(walk *w, const char *host, const char *shown_src, const char *image_path,
                    const struct stat *st, const settings *s, bool sibling_mpy) {
    if (count_entry(w, shown_src, (uint64_t)st->st_size) != 0) {
        return -1;
    }
    bool compile;
    if (wants_compile(w, image_path, s, sibling_mpy, &compile) != 0) {
        return -1;
    }
    char *lands_at = compile ? xasprintf("%.*s.mpy", (int)strlen(image_path) - 3, image_path)
                             : xstrdup(image_path);
    origin from = {w->e->pos, (char *)shown_src};
    node *n = tree_add_file(&w->c->t, lands_at, &from);
    free(lands_at);
    if (n == NULL) {
        return -1;
    }
    n->align = s->align;
    source *src = collection_add(w->c, n);
    if (compile) {
        src->py_host = xstrdup(host);
        src->py_name = xstrdup(image_path);
        file_stat_from(st, &src->py_st);
    } else {
        src->host = xstrdup(host);
        file_stat_from(st, &src->st);
        n->size = src->st.size;
    }
    strlist_add(&w->c->deps, host);
    return 0;
}

static int walk_dir(walk *w, const char *host, const char *shown_src, const char *image_path,
                    const char *rel, const struct stat *dir_st);

/* Why a symlink in a tree leads nowhere: a loop of links, or a target
 * that does not exist. */
static void report_broken_link(const walk *w, const char *host, const char *shown_src) {
    int err = errno;
    char target[PATH_MAX];
    ssize_t n = readlink(host, target, sizeof target - 1);
    target[n > 0 ? n : 0] = '\0';
    if (err == ELOOP) {
        diag_error_at(src_at(w), "%s: symlink cycle: following '%s' never reaches a file",
                      shown(shown_src), shown(target));
    } else if (err == ENOENT) {
        diag_error_at(src_at(w), "%s: dangling symlink: its target '%s' does not exist",
                      shown(shown_src), shown(target));
    } else {
        diag_error_at(src_at(w), "%s: symlink cannot be followed: %s", shown(shown_src),
                      strerror(err));
    }
}

/* One name inside a directory entry's tree. */
static int walk_child(walk *w, const char *host, const char *shown_src, const char *image_path,
                      const char *rel, const settings *s, bool sibling_mpy) {
    struct stat st;
    if (lstat(host, &st) != 0) {
        diag_error_at(src_at(w), "%s: cannot read: %s", shown(shown_src), strerror(errno));
        return -1;
    }
    if (s->exclude < 0 && w->m->default_excludes) {
        struct stat target;
        bool is_dir = S_ISDIR(st.st_mode) ||
                      (S_ISLNK(st.st_mode) && stat(host, &target) == 0 && S_ISDIR(target.st_mode));
        const char *slash = strrchr(image_path, '/');
        if (default_excluded(slash ? slash + 1 : image_path, is_dir)) {
            return 0;
        }
    }
    if (S_ISLNK(st.st_mode)) {
        char *real = realpath(host, NULL);
        if (real == NULL) {
            report_broken_link(w, host, shown_src);
            return -1;
        }
        size_t rl = strlen(w->root_real);
        bool inside = !strncmp(real, w->root_real, rl) &&
                      (real[rl] == '/' || real[rl] == '\0' || !strcmp(w->root_real, "/"));
        if (!inside) {
            diag_error_at(src_at(w),
                          "%s: symlink leads out of the directory entry's tree (to %s); "
                          "copy the file in or add it as an entry of its own",
                          shown(shown_src), shown(real));
            free(real);
            return -1;
        }
        free(real);
        if (stat(host, &st) != 0) {
            diag_error_at(src_at(w), "%s: cannot read: %s", shown(shown_src), strerror(errno));
            return -1;
        }
    }
    if (S_ISDIR(st.st_mode)) {
        return walk_dir(w, host, shown_src, image_path, rel, &st);
    }
    if (S_ISREG(st.st_mode)) {
        return add_file(w, host, shown_src, image_path, &st, s, sibling_mpy);
    }
    /* Reading a FIFO would block and a device has no fixed contents. */
    diag_warn_at(src_at(w), "%s: not a regular file or directory; skipped", shown(shown_src));
    return 0;
}

static int by_bytes(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const walk *w, const char *host, const char *shown_src, strlist *names) {
    DIR *d = opendir(host);
    if (d == NULL) {
        diag_error_at(src_at(w), "%s: cannot list directory: %s", shown(shown_src),
                      strerror(errno));
        return -1;
    }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            strlist_add(names, de->d_name);
        }
        errno = 0;
    }
    int err = errno;
    closedir(d);
    if (err != 0) {
        diag_error_at(src_at(w), "%s: cannot list directory: %s", shown(shown_src), strerror(err));
        return -1;
    }
    /* Directory order is the file system's; the image's must not be. */
    if (names->n > 1) {
        qsort(names->v, names->n, sizeof *names->v, by_bytes);
    }
    return 0;
}

/* For "x.py" in a listed directory: is "x.mpy" beside it, and packed? */
static bool has_packed_mpy(walk *w, const strlist *names, const char *image_dir, const char *rel,
                           const char *name) {
    if (!path_has_suffix(name, strlen(name), ".py")) {
        return false;
    }
    char *mpy = xasprintf("%.*s.mpy", (int)strlen(name) - 3, name);
    bool found =
        names->n > 0 && bsearch(&mpy, names->v, names->n, sizeof *names->v, by_bytes) != NULL;
    if (found) {
        char *mpy_image = path_join(image_dir, mpy);
        char *mpy_rel = path_join(rel, mpy);
        settings s;
        found = !excluded(w, mpy_image, mpy_rel, &s);
        free(mpy_image);
        free(mpy_rel);
    }
    free(mpy);
    return found;
}

/* Counts one more entry into the real directory `st`; -1 (printed) past
 * the bound. */
static int enter_dir(walk *w, const char *shown_src, const struct stat *st) {
    walk_totals *t = w->totals;
    char *key = xasprintf("%llx:%llx", (unsigned long long)st->st_dev,
                          (unsigned long long)st->st_ino);
    uintptr_t slot = (uintptr_t)pathmap_get(&t->visits, key); /* index + 1, or 0 */
    if (slot == 0) {
        VEC_RESERVE(t->counts, t->n_counts, t->cap_counts);
        t->counts[t->n_counts++] = 0;
        slot = t->n_counts;
        strlist_take(&t->keys, key);
        pathmap_add(&t->visits, key, (void *)slot);
    } else {
        free(key);
    }
    if (++t->counts[slot - 1] > MAX_DIR_VISITS) {
        diag_error_at(src_at(w), "%s: symlink fan-out: this directory is entered more than %d "
                                 "times through symlinks; the walk stops here",
                      shown(shown_src), MAX_DIR_VISITS);
        return -1;
    }
    return 0;
}

static int walk_dir(walk *w, const char *host, const char *shown_src, const char *image_path,
                    const char *rel, const struct stat *dir_st) {
    if (enter_dir(w, shown_src, dir_st) != 0 || count_entry(w, shown_src, 0) != 0) {
        return -1;
    }
    for (size_t i = 0; i < w->depth; i++) {
        if (w->stack[i].dev == dir_st->st_dev && w->stack[i].ino == dir_st->st_ino) {
            diag_error_at(src_at(w), "%s: symlink cycle: this directory is %s again",
                          shown(shown_src), shown(w->stack[i].shown));
            return -1;
        }
    }
    origin from = {w->e->pos, (char *)shown_src};
    if (tree_mkdir(&w->c->t, image_path, &from) == NULL) {
        return -1;
    }
    strlist_add(&w->c->deps, host);
    strlist names = {0};
    if (list_dir(w, host, shown_src, &names) != 0) {
        return -1;
    }
    VEC_RESERVE(w->stack, w->depth, w->cap);
    w->stack[w->depth].dev = dir_st->st_dev;
    w->stack[w->depth].ino = dir_st->st_ino;
    w->stack[w->depth].shown = shown_src;
    w->depth++;
    int rc = 0;
    settings s;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        const char *name = names.v[i];
        char *child_shown = path_join(shown_src, name);
        char *child_rel = path_join(rel, name);
        char *child_image = path_join(image_path, name);
        if (check_name(w, child_shown, name) != 0) {
            rc = -1;
        } else if (!excluded(w, child_image, child_rel, &s)) {
            char *child_host = path_join(host, name);
            rc = walk_child(w, child_host, child_shown, child_image, child_rel, &s,
                            has_packed_mpy(w, &names, image_path, rel, name));
            free(child_host);
        }
        free(child_shown);
        free(child_rel);
        free(child_image);
    }
    w->depth--;
    strlist_free(&names);
    return rc;
}

/* Checks a dst path the manifest gives: relative, '/'-separated, no empty,
 * '.' or '..' parts, UTF-8. */
static int check_dst(const file_entry *e, const char *dst) {
    /* Without a dst the path is the src's own name: say so, and point there. */
    const char *what = e->dst ? "dst" : "file name";
    const src_pos *at = e->dst ? (e->dst_pos.line ? &e->dst_pos : entry_pos(e))
                               : (e->src_pos.line ? &e->src_pos : entry_pos(e));
    if (dst[0] == '/') {
        diag_error_at(at, "%s '%s' must not start with '/' (it is a path inside the image)", what,
                      shown(dst));
        return -1;
    }
    if (!utf8_valid(dst, strlen(dst))) {
        diag_error_at(at, "%s '%s' is not valid UTF-8", what, shown(dst));
        return -1;
    }
    const char *p = dst;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0) {
            diag_error_at(at, "%s '%s' has an empty path part", what, shown(dst));
            return -1;
        }
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
            diag_error_at(at, "%s '%s' must not contain '.' or '..' parts", what, shown(dst));
            return -1;
        }
        for (size_t i = 0; i < len; i++) {
            if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
                diag_error_at(at, "%s '%s' contains a control character", what, shown(dst));
                return -1;
            }
        }
        if (slash == NULL) {
            return 0;
        }
        p = slash + 1;
    }
}

/* Where an entry lands: "" for the root. NULL after an error. */
static char *entry_dst(const file_entry *e, bool is_dir) {
    char *base = path_basename(e->src);
    char *dst;
    const char *d = e->dst;
    if (d == NULL || (!is_dir && (d[0] == '\0' || !strcmp(d, ".")))) {
        dst = xstrdup(base);
    } else if (d[0] == '\0' || !strcmp(d, ".") || !strcmp(d, "./")) {
        dst = xstrdup("");
    } else {
        size_t len = strlen(d);
        if (d[len - 1] == '/' && !is_dir) {
            dst = xasprintf("%s%s", d, base); /* "models/" puts the file inside models */
        } else {
            dst = xstrndup(d, len - (d[len - 1] == '/' && len > 1));
        }
    }
    free(base);
    if (dst[0] == '\0' && (is_dir ? e->dst == NULL : true)) {
        diag_error_at(&e->src_pos, "src '%s' has no name of its own to land under; give a dst",
                      shown(e->src));
        free(dst);
        return NULL;
    }
    if (dst[0] != '\0' && check_dst(e, dst) != 0) {
        free(dst);
        return NULL;
    }
    return dst;
}

static int collect_entry(const manifest *m, const file_entry *e, mpy_compiler *mpy,
                         bool plan_only, walk_totals *totals, collection *c) {
    const src_pos *at = e->src_pos.line ? &e->src_pos : NULL;
    char *host = e->src[0] == '/' ? xstrdup(e->src) : path_join(m->dir, e->src);
    struct stat st;
    int rc = -1;
    walk w = {.m = m, .e = e, .c = c, .mpy = mpy, .plan_only = plan_only, .totals = totals};
    char *dst = NULL;
    if (stat(host, &st) != 0) {
        diag_error_at(at, "src '%s': %s (looked for %s)", shown(e->src), strerror(errno),
                      shown(host));
        goto out;
    }
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
        diag_error_at(at, "src '%s' is not a regular file or directory", shown(e->src));
        goto out;
    }
    if (S_ISREG(st.st_mode) && e->n_exclude > 0) {
        diag_error_at(&e->exclude_pos[0],
                      "exclude patterns apply to directory entries, and src '%s' is a file",
                      shown(e->src));
        goto out;
    }
    dst = entry_dst(e, S_ISDIR(st.st_mode));
    if (dst == NULL) {
        goto out;
    }
    settings s = manifest_settings_for(m, e, dst);
    if (dst[0] != '\0' && s.exclude == 1) {
        rc = 0; /* excluded as a whole, by a rule or its own exclude: true */
        goto out;
    }
    if (S_ISREG(st.st_mode)) {
        rc = add_file(&w, host, e->src, dst, &st, &s, false);
        goto out;
    }
    w.root_real = realpath(host, NULL);
    if (w.root_real == NULL) {
        diag_error_at(at, "src '%s': %s", shown(e->src), strerror(errno));
        goto out;
    }
    rc = walk_dir(&w, host, e->src, dst, "", &st);
out:
    free(w.root_real);
    free(w.stack);
    free(dst);
    free(host);
    return rc;
}

int sources_collect(const manifest *m, mpy_compiler *mpy, bool plan_only, collection *c) {
    if (m->path != NULL) {
        strlist_take(&c->deps, path_abs(m->path));
    }
    walk_totals totals = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < m->n_files; i++) {
        rc = collect_entry(m, &m->files[i], mpy, plan_only, &totals, c);
    }
    pathmap_free(&totals.visits);
    strlist_free(&totals.keys);
    free(totals.counts);
    if (rc == 0) {
        tree_sort(&c->t);
    }
    return rc;
}

#include "inspect/adopt_manifest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect/image_walk.h"
#include "manifest/settings.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/path.h"
#include "util/utf8.h"
#include "util/version.h"

typedef struct {
    char *path;
    const char *ext; /* after the basename's last '.', or NULL */
    unsigned need;
} adopted_file;

typedef struct {
    adopted_file *files;
    size_t n, cap, dirs;
    unsigned tightest;     /* the smallest alignment a file with no need of its own has */
    bool default_excluded; /* a name the default excludes would leave out */
    bool holds_manifest;   /* the image has a file or directory where the manifest goes */
} adoption;

static const char *ext_of(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot != NULL && dot != base && dot[1] != '\0' ? dot + 1 : NULL;
}

static int by_ext_then_need(const void *a, const void *b) {
    const adopted_file *x = a, *y = b;
    int c = strcmp(x->ext ? x->ext : "", y->ext ? y->ext : "");
    return c ? c : (x->need > y->need) - (x->need < y->need);
}

static unsigned lowest_bit(size_t v) {
    return v == 0 ? 4096 : (unsigned)(v & (~v + 1)) > 4096 ? 4096 : (unsigned)(v & (~v + 1));
}

static int survey(const image_file *f, const adopt_opts *o, const char *manifest_in_dir,
                  adoption *a) {
    image_walk w;
    image_walk_begin(&w, &f->img);
    romfs_entry e;
    size_t depth;
    int walked;
    a->tightest = 4;
    while ((walked = image_walk_next(&w, &e, &depth)) == 1) {
        bool is_dir = e.type == ROMFS_TYPE_DIR;
        char *name = xstrndup((const char *)e.name, e.name_len);
        a->default_excluded |= default_excluded(name, is_dir);
        free(name);
        a->holds_manifest |= manifest_in_dir != NULL && strcmp(w.path, manifest_in_dir) == 0;
        if (is_dir) {
            a->dirs++;
            continue;
        }
        bool expected;
        unsigned need = o->align->need(o->align, w.path, w.path_len, false, &expected);
        if (need <= 1 && e.size > 0) {
            unsigned has = lowest_bit((size_t)(e.data - f->bytes));
            a->tightest = has < a->tightest ? has : a->tightest;
        }
        if (a->n == a->cap) {
            a->cap = a->cap ? 2 * a->cap : 64;
            a->files = xrealloc(a->files, a->cap * sizeof *a->files);
        }
        adopted_file *af = &a->files[a->n++];
        af->path = xstrdup(w.path);
        af->ext = ext_of(af->path);
        af->need = need;
    }
    image_walk_end(&w);
    return walked; /* the image was checked whole before: only a bug makes this -1 */
}

/* `prefix` (trusted) and `s` as one YAML double-quoted scalar that the
 * manifest reads back as written: JSON escapes (a subset of YAML's), '$'
 * doubled against ${NAME}, and with `glob`, the characters a pattern takes
 * as wildcards quoted with the glob's '\'. */
static void yaml_string(FILE *out, const char *prefix, const char *s, bool as_glob) {
    fprintf(out, "\"%s", prefix);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (as_glob && strchr("*?[]\\", c) != NULL) {
            fputs("\\\\", out); /* the glob's '\', as YAML writes it */
        }
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
        } else if (c == '$') {
            fputs("$$", out);
        } else {
            fputc(c, out);
        }
    }
    fputc('"', out);
}

static bool same_ext(const adopted_file *x, const adopted_file *y) {
    return !strcmp(x->ext ? x->ext : "", y->ext ? y->ext : "");
}

/* A rule per extension where every file of it needs the same alignment,
 * else one per file that needs one. */
static void write_rules(FILE *out, adoption *a) {
    if (a->n > 1) {
        qsort(a->files, a->n, sizeof *a->files, by_ext_then_need);
    }
    bool any = false;
    for (size_t i = 0, j; i < a->n; i = j) {
        for (j = i + 1; j < a->n && same_ext(&a->files[i], &a->files[j]); j++) {
        }
        /* Sorted by need within the extension: one need when first and last agree. */
        bool by_ext = a->files[i].ext != NULL && a->files[i].need == a->files[j - 1].need;
        for (size_t k = i; k < (by_ext ? i + 1 : j); k++) {
            if (a->files[k].need <= 1) {
                continue;
            }
            if (!any) {
                fputs("rules:                         # the alignment each file needs\n", out);
                any = true;
            }
            fputs("  - match: ", out);
            if (by_ext) {
                yaml_string(out, "*.", a->files[k].ext, true);
            } else {
                yaml_string(out, "/", a->files[k].path, true);
            }
            fprintf(out, "\n    align: %u\n", a->files[k].need);
        }
    }
}

static char *manifest_text(const image_file *f, const adopt_opts *o, const adoption *a,
                           const char *src, const char *exclude, size_t *len) {
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    if (out == NULL) {
        xalloc_failed();
    }
    char *image = path_basename(f->shown);
    fprintf(out, "# Adopted by romfs %s from %s", ROMFS_VERSION, shown(image));
    free(image);
    fprintf(out,
            ": %zu files, %zu directories, %zu bytes.\n"
            "# `romfs build` of this manifest packs exactly the files extracted from it.\n"
            "version: 1\n",
            a->n, a->dirs, f->img.size);
    if (o->target != NULL || a->tightest < 4 || a->default_excluded) {
        fputs("image:\n", out);
    }
    if (o->target != NULL) {
        fputs("  target: ", out);
        yaml_string(out, "", o->target, false);
        fputc('\n', out);
    }
    if (a->tightest < 4) {
        fprintf(out, "  align: %u                     # the image was packed without padding\n",
                a->tightest);
    }
    if (a->default_excluded) {
        fputs("  default_excludes: false      # the image holds names they would leave out\n",
              out);
    }
    write_rules(out, (adoption *)a);
    fputs("files:\n  - src: ", out);
    yaml_string(out, "", src, false);
    fputs("\n    dst: \".\"\n", out);
    if (exclude != NULL) {
        fputs("    exclude: [", out);
        yaml_string(out, "/", exclude, true);
        fputs("]\n", out);
    }
    if (fclose(out) != 0) {
        xalloc_failed();
    }
    return text;
}

char *adopt_manifest_text(const image_file *f, const adopt_opts *o, size_t *len) {
    char *dir = path_abs(o->dir), *home = path_dirname_abs(o->manifest);
    char *target = path_abs(o->manifest);
    char *src = path_relative(home, dir), *inside = path_relative(dir, target);
    bool in_dir = strcmp(inside, "..") != 0 && strncmp(inside, "../", 3) != 0;
    adoption a = {0};
    char *text = NULL;
    if (!utf8_valid(src, strlen(src))) {
        diag_error("%s: cannot name %s in a manifest: the path is not UTF-8", shown(o->manifest),
                   shown(o->dir));
    } else if (survey(f, o, in_dir ? inside : NULL, &a) < 0) {
        diag_error("%s: cannot walk the image", shown(f->shown));
    } else if (a.holds_manifest) {
        diag_error("%s: the image holds %s itself; write the manifest elsewhere",
                   shown(o->manifest), shown(inside));
    } else {
        text = manifest_text(f, o, &a, src, in_dir ? inside : NULL, len);
        if (!utf8_valid(text, *len)) {
            diag_error("%s: cannot write the manifest: it would name a path that is not UTF-8, "
                       "which YAML cannot hold",
                       shown(o->manifest));
            free(text);
            text = NULL;
        }
    }
    for (size_t i = 0; i < a.n; i++) {
        free(a.files[i].path);
    }
    free(a.files);
    free(dir);
    free(home);
    free(target);
    free(src);
    free(inside);
    return text;
}

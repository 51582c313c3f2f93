/* A compiler's identity is the hash of its --version output and of its
 * binary: both change with a new mpy-cross, and a cached .mpy made by
 * another one must never be reused. Finding the identity means running
 * the compiler, so it is cached by the binary's stat, and a warm build
 * starts no process at all. */
#include "pack/mpy_compiler.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/bytes.h"
#include "util/file_stat.h"
#include "util/path.h"
#include "util/proc.h"

/* Splits "path arg 'quoted arg'" on blanks; quotes group, and go. */
static void split_words(const char *s, strlist *out) {
    size_t cap = strlen(s) + 1;
    while (*s) {
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (!*s) {
            break;
        }
        char *word = xmalloc(cap);
        size_t n = 0;
        char quote = 0;
        for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
            if (quote && *s == quote) {
                quote = 0;
            } else if (!quote && (*s == '"' || *s == '\'')) {
                quote = *s;
            } else {
                word[n++] = *s;
            }
        }
        word[n] = '\0';
        strlist_take(out, word);
    }
}

static char *identity_cache_path(const mpy_compiler *c) {
    return xasprintf("%s/mpy/compilers/%016" PRIx64, c->cache_dir,
                     (uint64_t)XXH3_64bits(c->path, strlen(c->path)));
}

static char *stat_line(const file_stat *st) {
    return xasprintf(
        "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n",
        st->dev, st->ino, st->size, st->mtime_sec, st->mtime_nsec, st->ctime_sec, st->ctime_nsec);
}

/* The cached identity, if the binary's stat is what it was. */
static int cached_identity(const mpy_compiler *c, const file_stat *st, uint8_t out[HASH_SIZE]) {
    char *path = identity_cache_path(c);
    FILE *f = fopen(path, "r");
    free(path);
    if (f == NULL) {
        return -1;
    }
    char line1[64], line2[256], line3[64];
    char *want = stat_line(st);
    int ok = fgets(line1, sizeof line1, f) && !strcmp(line1, "romfs mpy-cross identity 1\n") &&
             fgets(line2, sizeof line2, f) && !strcmp(line2, want) &&
             fgets(line3, sizeof line3, f) && strlen(line3) == 2 * HASH_SIZE + 1;
    fclose(f);
    free(want);
    return ok && hex_decode(line3, HASH_SIZE, out) ? 0 : -1;
}

static int fresh_identity(mpy_compiler *c, uint8_t out[HASH_SIZE]) {
    FILE *capture = tmpfile();
    if (capture == NULL) {
        c->missing = xasprintf("cannot run %s: %s", c->path, strerror(errno));
        return -1;
    }
    char *argv[] = {c->path, "--version", NULL};
    int status = -1;
    pid_t pid = proc_start(argv, capture);
    if (pid < 0 || proc_wait(pid, &status) != 0 || status != 0) {
        c->missing = pid < 0 ? xasprintf("cannot run %s: %s", c->path, strerror(errno))
                             : xasprintf("%s --version failed (exit status %d)", c->path, status);
        fclose(capture);
        return -1;
    }
    char *version = proc_output(capture, 4096);
    fclose(capture);
    uint8_t binary[HASH_SIZE];
    if (hash_file(c->path, binary, NULL) != 0) {
        c->missing = xasprintf("cannot read %s: %s", c->path, strerror(errno));
        free(version);
        return -1;
    }
    hasher h;
    hasher_init(&h);
    hasher_str(&h, version);
    hasher_update(&h, binary, sizeof binary);
    hasher_final(&h, out);
    free(version);
    return 0;
}

static void save_identity(const mpy_compiler *c, const file_stat *st) {
    char hex[2 * HASH_SIZE + 1];
    hex_encode(c->identity, HASH_SIZE, hex);
    char *line = stat_line(st);
    char *text = xasprintf("romfs mpy-cross identity 1\n%s%s\n", line, hex);
    char *path = identity_cache_path(c);
    char *dir = path_dirname_abs(path);
    if (make_dirs(dir) == 0) {
        atomic_write(path, text, strlen(text));
    }
    free(dir);
    free(path);
    free(text);
    free(line);
}

void mpy_compiler_init(mpy_compiler *c, const manifest *m, const char *define_spec,
                       const char *cache_dir) {
    memset(c, 0, sizeof *c);
    c->spec = m->mpy_cross ? m->mpy_cross : define_spec;
    c->spec_from = m->mpy_cross ? "image.mpy_cross" : "-D ROMFS_MPY_CROSS";
    c->base_dir = m->dir;
    c->cache_dir = cache_dir;
    c->extra_args = m->mpy_args;
    /* -march: image.march, else the architecture image.mpy_abi names. */
    c->march = m->march                                  ? m->march
               : m->has_mpy_abi && m->mpy_abi.arch >= 0 ? mpy_arch_name((unsigned)m->mpy_abi.arch)
                                                        : NULL;
}

const mpy_compiler *mpy_compiler_locate(mpy_compiler *c) {
    if (c->state != 0) {
        return c->state > 0 ? c : NULL;
    }
    c->state = -1;
    strlist words = {0};
    split_words(c->spec ? c->spec : "mpy-cross", &words);
    if (words.n == 0) {
        c->missing = xasprintf("%s is empty", c->spec_from);
        strlist_free(&words);
        return NULL;
    }
    char *program = words.v[0];
    if (strchr(program, '/') != NULL && program[0] != '/') {
        char *resolved = path_join(c->base_dir, program);
        free(program);
        words.v[0] = program = resolved;
    }
    c->path = proc_find_program(program);
    if (c->path == NULL) {
        c->missing = c->spec ? xasprintf("%s names %s, which is not an executable file",
                                         c->spec_from, program)
                             : xstrdup("mpy-cross was not found on PATH");
        strlist_free(&words);
        return NULL;
    }
    for (size_t i = 1; i < words.n; i++) {
        strlist_add(&c->args, words.v[i]);
    }
    strlist_free(&words);
    if (c->extra_args != NULL) {
        split_words(c->extra_args, &c->args);
    }
    if (c->march != NULL) {
        strlist_take(&c->args, xasprintf("-march=%s", c->march));
    }
    c->state = 1;
    return c;
}

const mpy_compiler *mpy_compiler_find(mpy_compiler *c) {
    if (mpy_compiler_locate(c) == NULL) {
        return NULL;
    }
    if (c->state == 2) {
        return c;
    }
    c->state = -1;
    file_stat st;
    if (file_stat_of(c->path, &st) != 0) {
        c->missing = xasprintf("cannot stat %s: %s", c->path, strerror(errno));
        return NULL;
    }
    if (c->cache_dir == NULL || cached_identity(c, &st, c->identity) != 0) {
        if (fresh_identity(c, c->identity) != 0) {
            return NULL;
        }
        if (c->cache_dir != NULL) {
            save_identity(c, &st);
        }
    }
    c->state = 2;
    return c;
}

void mpy_compiler_free(mpy_compiler *c) {
    free(c->path);
    free(c->missing);
    strlist_free(&c->args);
    c->path = c->missing = NULL;
}

/* The cache key of a compiled file covers everything its bytes depend on:
 * the compiler's identity, its extra arguments, the -s name and the
 * source's bytes. Moving a file changes its -s name and recompiles it
 * alone; touching one changes nothing; a new compiler changes every key.
 * Each entry is written under a temporary name and renamed into place, so
 * builds sharing the cache never see half a file; the layout is computed
 * after all compiles end, so it cannot depend on their order. */
#include "pack/mpy_compile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/bytes.h"
#include "util/io.h"
#include "util/hash.h"
#include "util/path.h"
#include "util/proc.h"

typedef struct {
    source *n;
    char *object; /* where the result lives in the cache */
    char *tmp;    /* where the compiler writes it */
    pid_t pid;
    FILE *output;
} job;

static void compile_key(const mpy_compiler *c, const source *n, uint8_t out[HASH_SIZE]) {
    hasher h;
    hasher_init(&h);
    hasher_str(&h, "romfs mpy 1");
    hasher_update(&h, c->identity, HASH_SIZE);
    for (size_t i = 0; i < c->args.n; i++) {
        hasher_str(&h, c->args.v[i]);
    }
    hasher_str(&h, "-s");
    hasher_str(&h, n->py_name);
    hasher_update(&h, n->py_hash, HASH_SIZE);
    hasher_final(&h, out);
}

static char *object_path(const char *cache_dir, const uint8_t key[HASH_SIZE]) {
    char hex[2 * HASH_SIZE + 1];
    hex_encode(key, HASH_SIZE, hex);
    return xasprintf("%s/mpy/objects/%.2s/%s.mpy", cache_dir, hex, hex + 2);
}

/* Beside each object, its size and content hash: a cache damaged on disk
 * (truncated, overwritten) must cost a compile, never a wrong image. */
static char *sum_path(const char *object) {
    return xasprintf("%.*s.sum", (int)strlen(object) - 4, object);
}

static const char sum_magic[] = "romfs mpy object 1\n";

static int write_sum(const char *object, const char *compiled) {
    uint8_t hash[HASH_SIZE];
    uint64_t size;
    if (hash_file(compiled, hash, &size) != 0) {
        return -1;
    }
    char hex[2 * HASH_SIZE + 1];
    hex_encode(hash, HASH_SIZE, hex);
    char *text = xasprintf("%s%" PRIu64 " %s\n", sum_magic, size, hex);
    char *path = sum_path(object);
    int rc = atomic_write(path, text, strlen(text));
    free(path);
    free(text);
    return rc;
}

/* Whether the object's bytes are the ones its sum records; `known`, the
 * state's hash for it at this stat, spares reading it again. */
static bool object_sound(const char *object, const file_stat *st, const uint8_t *known,
                         uint8_t hash[HASH_SIZE]) {
    char *path = sum_path(object);
    int fd = open_regular(path);
    free(path);
    char text[128];
    ssize_t got = fd >= 0 ? read_full(fd, text, sizeof text - 1) : -1;
    if (fd >= 0) {
        close(fd);
    }
    if (got <= 0) {
        return false;
    }
    text[got] = '\0';
    size_t magic = strlen(sum_magic);
    char *end;
    uint8_t want[HASH_SIZE];
    if (strncmp(text, sum_magic, magic) != 0) {
        return false;
    }
    unsigned long long size = strtoull(text + magic, &end, 10);
    if (*end != ' ' || size != st->size || strlen(end + 1) != 2 * HASH_SIZE + 1 ||
        !hex_decode(end + 1, HASH_SIZE, want)) {
        return false;
    }
    if (known != NULL) {
        memcpy(hash, known, HASH_SIZE);
    } else if (hash_file(object, hash, NULL) != 0) {
        return false;
    }
    return memcmp(hash, want, HASH_SIZE) == 0;
}

/* Points the source at its compiled file, checked against its sum; false
 * when there is none, or it is damaged (then it is compiled again). */
static bool adopt(source *n, const char *object, const build_state *old) {
    file_stat st;
    if (file_stat_of(object, &st) != 0) {
        return false;
    }
    uint8_t hash[HASH_SIZE];
    if (!object_sound(object, &st, state_hash_for(old, object, &st), hash)) {
        diag_warn("%s: its compiled .mpy in the cache is damaged or unverified; compiling it "
                  "again",
                  shown(n->node->from.shown));
        return false;
    }
    n->st = st;
    memcpy(n->hash, hash, HASH_SIZE);
    n->hashed = true;
    free(n->host);
    n->host = xstrdup(object);
    n->node->size = n->st.size;
    return true;
}

static int start(job *j, const mpy_compiler *c, const char *cache_dir, unsigned serial) {
    char *objects_dir = path_dirname_abs(j->object);
    char *tmp_dir = xasprintf("%s/mpy/tmp", cache_dir);
    if (make_dirs(objects_dir) != 0 || make_dirs(tmp_dir) != 0) {
        diag_error("%s: cannot create the cache directory: %s", shown(cache_dir), strerror(errno));
        free(objects_dir);
        free(tmp_dir);
        return -1;
    }
    j->tmp = xasprintf("%s/%ld.%u.mpy", tmp_dir, (long)getpid(), serial);
    free(objects_dir);
    free(tmp_dir);
    size_t argc = 0;
    char **argv = xcalloc(c->args.n + 7, sizeof *argv);
    argv[argc++] = c->path;
    argv[argc++] = "-o";
    argv[argc++] = j->tmp;
    argv[argc++] = "-s";
    argv[argc++] = j->n->py_name;
    for (size_t i = 0; i < c->args.n; i++) {
        argv[argc++] = c->args.v[i];
    }
    argv[argc++] = j->n->py_host;
    j->output = tmpfile();
    j->pid = j->output ? proc_start(argv, j->output) : -1;
    free(argv);
    if (j->pid < 0) {
        diag_error("cannot run %s: %s", shown(c->path), strerror(errno));
        if (j->output != NULL) {
            fclose(j->output);
            j->output = NULL;
        }
        return -1;
    }
    return 0;
}

/* Takes a finished compile: its file into the cache, or its failure to
 * the user with the compiler's own words. */
static int finish(job *j, int status) {
    int rc = 0;
    if (status == 0 && write_sum(j->object, j->tmp) == 0 && rename(j->tmp, j->object) == 0 &&
        adopt(j->n, j->object, NULL)) {
        rc = 0;
    } else {
        char *text = proc_output(j->output, 16384);
        diag_error("%s (%s in the image): mpy-cross failed%s (exit status %d)%s",
                   shown(j->n->node->from.shown), shown(j->n->py_name),
                   status == 0 ? " to write its output" : "", status, text[0] ? ":" : "");
        for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
            fprintf(stderr, "  %s\n", line);
        }
        free(text);
        unlink(j->tmp);
        rc = -1;
    }
    fclose(j->output);
    j->output = NULL;
    return rc;
}

static void progress(size_t done, size_t total, bool last) {
    if (!diag_quiet && isatty(STDERR_FILENO)) {
        fprintf(stderr, "\rromfs: compiled %zu/%zu%s", done, total, last ? "\n" : "");
    }
}

int mpy_compile_all(collection *col, const mpy_compiler *c, const build_state *old,
                    const char *cache_dir, unsigned jobs, size_t *compiled) {
    job *todo = xcalloc(col->n_srcs, sizeof *todo);
    size_t n_todo = 0;
    int rc = 0;
    for (size_t i = 0; i < col->n_srcs && rc == 0; i++) {
        source *n = col->srcs[i];
        if (n->py_host == NULL) {
            continue;
        }
        if (state_hash_or_read(old, n->py_host, &n->py_st, n->py_hash) != 0) {
            diag_error("%s: cannot read: %s", shown(n->node->from.shown), strerror(errno));
            rc = -1;
            break;
        }
        uint8_t key[HASH_SIZE];
        compile_key(c, n, key);
        char *object = object_path(cache_dir, key);
        if (access(object, F_OK) == 0 && adopt(n, object, old)) {
            free(object);
        } else {
            todo[n_todo].n = n;
            todo[n_todo++].object = object;
        }
    }
    size_t next = 0, running = 0, done = 0;
    bool failed = rc != 0;
    while (!failed && next < n_todo && running < (jobs ? jobs : 1)) {
        failed = start(&todo[next], c, cache_dir, (unsigned)next) != 0;
        next++;
        running += !failed;
    }
    while (running > 0) {
        int status;
        pid_t pid = proc_wait_any(&status);
        if (pid < 0) {
            break;
        }
        for (size_t i = 0; i < next; i++) {
            if (todo[i].pid == pid && todo[i].output != NULL) {
                running--;
                failed |= finish(&todo[i], status) != 0;
                progress(++done, n_todo, false);
                break;
            }
        }
        if (!failed && next < n_todo) {
            failed = start(&todo[next], c, cache_dir, (unsigned)next) != 0;
            next++;
            running += !failed;
        }
    }
    if (done > 0) {
        progress(done, n_todo, true);
    }
    for (size_t i = 0; i < n_todo; i++) {
        free(todo[i].object);
        free(todo[i].tmp);
    }
    free(todo);
    *compiled = done;
    return failed ? -1 : 0;
}

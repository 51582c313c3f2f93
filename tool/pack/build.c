/* A build is skipped, leaving the image file untouched so that nothing
 * downstream relinks, when the image it would write is the one already
 * there: the image file is still the one this tool last wrote (same
 * stat), and its key (pack/image_key.c) is the one recorded then. Content
 * hashes come from the state file for sources whose stat is unchanged, so
 * an up-to-date build reads no source at all. */
#include "pack/build.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/layout.h"
#include "pack/align_policy.h"
#include "pack/checks.h"
#include "pack/image_key.h"
#include "pack/image_out.h"
#include "pack/keep_base.h"
#include "pack/mpy_compile.h"
#include "pack/mpy_compiler.h"
#include "pack/sources.h"
#include "pack/state.h"
#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/io.h"
#include "util/path.h"

static bool to_stdout(const build_opts *o) {
    return !strcmp(o->output, "-");
}

/* The cache directory: --cache-dir, else .romfs-cache beside the image;
 * an image on standard output keeps nothing: its cache is a temporary
 * directory (*temporary set), removed when the build ends. */
static char *cache_dir_for(const build_opts *o, bool *temporary) {
    *temporary = false;
    if (o->cache_dir != NULL) {
        return path_abs(o->cache_dir);
    }
    if (to_stdout(o)) {
        const char *tmp = getenv("TMPDIR");
        char *dir = xasprintf("%s/romfs-cache.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL) {
            diag_error("%s: cannot make a temporary cache directory: %s", shown(dir),
                       strerror(errno));
            exit(EXIT_INPUT);
        }
        *temporary = true;
        return dir;
    }
    char *dir = path_dirname_abs(o->output);
    char *cache = path_join(dir, ".romfs-cache");
    free(dir);
    return cache;
}

/* <cache>/state/<image name>-<hash of its absolute path>: one per image,
 * even when build trees share a cache directory. */
static char *state_path(const char *cache, const char *image) {
    char *abs = path_abs(image);
    char *base = path_basename(abs);
    char *p =
        xasprintf("%s/state/%s-%016" PRIx64, cache, base, (uint64_t)XXH3_64bits(abs, strlen(abs)));
    free(abs);
    free(base);
    return p;
}

/* Content hashes for every source: from the state where its stat still
 * matches, else by reading it. */
static int hash_sources(collection *c, const build_state *old) {
    for (size_t i = 0; i < c->n_srcs; i++) {
        source *s = c->srcs[i];
        if (s->hashed) {
            continue;
        }
        if (state_hash_or_read(old, s->host, &s->st, s->hash) != 0) {
            diag_error("%s: cannot read: %s", shown(s->node->from.shown), strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* The whole image, then standard output: a consumer of the stream never
 * sees part of an image whose build failed. */
static int write_stdout(collection *c, const layout *lay, const image_base *base) {
    FILE *tmp = tmpfile();
    if (tmp == NULL) {
        diag_error("cannot make a temporary file: %s", strerror(errno));
        return -1;
    }
    int rc = image_out_write(fileno(tmp), "<stdout>", c, lay, base);
    if (rc == 0 && lseek(fileno(tmp), 0, SEEK_SET) == 0) {
        static char chunk[1 << 16];
        ssize_t n;
        while (rc == 0 && (n = read_full(fileno(tmp), chunk, sizeof chunk)) > 0) {
            rc = write_all(STDOUT_FILENO, chunk, (size_t)n);
        }
        if (rc != 0) {
            diag_error("cannot write the image to stdout: %s", strerror(errno));
        }
    }
    fclose(tmp);
    return rc;
}

/* Writes the image; `st` gets the stat of the file this build put in
 * place, for the state to recognise it by. */
static int write_image(const char *out, collection *c, const layout *lay, const image_base *base,
                       file_stat *st) {
    if (!strcmp(out, "-")) {
        return write_stdout(c, lay, base);
    }
    atomic_file f;
    if (atomic_open(&f, out) != 0) {
        return -1;
    }
    if (image_out_write(f.fd, out, c, lay, base) != 0) {
        atomic_abort(&f);
        return -1;
    }
    return atomic_commit(&f, st);
}

static void summarize(const manifest *m, const collection *c, const layout *lay, const char *out,
                      bool up_to_date) {
    if (lay->keep) {
        diag_info("%s: %s%zu files, %zu directories, %" PRIu64 " bytes, block-keeping layout "
                  "(largest alignment %u)",
                  shown(out), up_to_date ? "up to date: " : "", c->t.n_files, c->t.n_dirs,
                  lay->size, lay->max_align);
    } else {
        diag_info("%s: %s%zu files, %zu directories, %" PRIu64 " bytes, %" PRIu64
                  " bytes of alignment padding (largest alignment %u)",
                  shown(out), up_to_date ? "up to date: " : "", c->t.n_files, c->t.n_dirs,
                  lay->size, lay->padding, lay->max_align);
    }
    if (m->has_capacity) {
        diag_info("%s: %" PRIu64 " / %" PRIu64 " bytes used (%.1f%%), %" PRIu64 " bytes free",
                  shown(out), lay->size, m->capacity,
                  100.0 * (double)lay->size / (double)m->capacity, m->capacity - lay->size);
    }
}

/* Compiles what is to be compiled, and says what could not be. */
static int compile_python(collection *c, mpy_compiler *mpy, const build_state *old,
                          const char *cache, const build_opts *o) {
    if (c->mpy_fallbacks > 0) {
        diag_warn("%zu .py file%s packed as source (mpy: auto): %s", c->mpy_fallbacks,
                  c->mpy_fallbacks == 1 ? "" : "s", mpy->missing);
    }
    if (mpy->state <= 0) {
        return 0;
    }
    strlist_add(&c->deps, mpy->path); /* a new compiler must rebuild the image */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned jobs = o->jobs ? o->jobs : cpus > 0 ? (unsigned)cpus : 1;
    size_t compiled = 0;
    int rc = mpy_compile_all(c, mpy, old, cache, jobs, &compiled);
    if (rc == 0 && compiled > 0) {
        diag_info("compiled %zu .py file%s with %s", compiled, compiled == 1 ? "" : "s",
                  shown(mpy->path));
    }
    return rc;
}

/* Whether `dir` exists as a writable directory or could be made: its
 * nearest existing ancestor must be one. Nothing is created. */
static int check_dir_usable(const char *dir) {
    char *p = xstrdup(dir);
    struct stat st;
    while (stat(p, &st) != 0 && errno == ENOENT && strcmp(p, "/") != 0) {
        char *up = path_dirname_abs(p);
        free(p);
        p = up;
    }
    int rc = 0;
    if (stat(p, &st) != 0 || (!S_ISDIR(st.st_mode) && (errno = ENOTDIR)) || access(p, W_OK) != 0) {
        diag_error("%s: cannot use this cache directory: %s", shown(dir), strerror(errno));
        rc = -1;
    }
    free(p);
    return rc;
}

static int check_outputs(const build_opts *o, const char *cache) {
    int rc = check_dir_usable(cache);
    for (size_t i = 0; rc == 0 && i < o->n_outputs; i++) {
        rc = output_check_writable(&o->outputs[i]);
    }
    return rc;
}

static int write_outputs(const build_opts *o, const build_view *v) {
    for (size_t i = 0; i < o->n_outputs; i++) {
        if (o->outputs[i].kind->write(&o->outputs[i], v) != 0) {
            return -1;
        }
    }
    return 0;
}

static int read_head(const node *n, uint8_t *buf, size_t len) {
    int fd = open_regular(source_of(n)->host);
    if (fd < 0) {
        return -1;
    }
    ssize_t got = read_full(fd, buf, len);
    close(fd);
    return got == (ssize_t)len ? 0 : -1;
}

static const uint8_t *content_hash(const node *n) {
    return source_of(n)->hash;
}

/* --erase-block, else the manifest's partition.erase_block, else 4 KiB. */
static uint64_t erase_block_of(const manifest *m, const build_opts *o) {
    return o->erase_block             ? o->erase_block
           : m->partition.erase_block ? m->partition.erase_block
                                      : 4096;
}

/* The block-keeping layout against the base, unless it would outgrow the
 * capacity, when the canonical one (the most compact) is laid instead. */
static int keep_or_canonical(const manifest *m, const build_opts *o, collection *c,
                             const build_state *old, const loaded_base *base, layout *lay) {
    if (hash_sources(c, old) != 0) {
        return -1;
    }
    keep_stats st;
    layout_keep(&c->t, &base->base, content_hash, erase_block_of(m, o),
                m->has_capacity ? m->capacity : 0, lay, &st);
    if (m->has_capacity && lay->size > m->capacity) {
        diag_info("%s: the block-keeping layout would take %" PRIu64 " bytes, over the %" PRIu64
                  " of the capacity; laid out canonically instead (the whole image changes)",
                  shown(o->output), lay->size, m->capacity);
        layout_free(lay);
        layout_compute(&c->t, lay);
        return 0;
    }
    if (st.why != NULL) {
        diag_info("%s: laid out afresh: %s", shown(o->output), st.why);
    }
    if (o->base == NULL) {
        diag_info("%s: the block-keeping layout, afresh: data area %" PRIu64 " bytes, %" PRIu64
                  " of them room to grow",
                  shown(o->output), lay->data_end - lay->data_start, st.free_bytes);
        return 0;
    }
    diag_info("%s: against %s: %zu files kept in place, %zu rewritten in place, %zu placed "
              "anew, %zu sharing another's bytes; data area %" PRIu64 " bytes, %" PRIu64
              " of them free",
              shown(o->output), shown(o->base), st.kept, st.rewritten_in_place, st.placed,
              st.shared, lay->data_end - lay->data_start, st.free_bytes);
    return 0;
}

/* What the provenance record and the SBOM say the image came from. */
typedef struct {
    build_origin o;
    build_input *inputs;
    const char **names, **values;
} origin_store;

static int by_image_path(const void *a, const void *b) {
    return strcmp(((const build_input *)a)->path, ((const build_input *)b)->path);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void origin_make(origin_store *st, const manifest *m, const build_opts *o,
                        const collection *c, const mpy_compiler *mpy) {
    memset(st, 0, sizeof *st);
    st->o.manifest = m->path;
    st->o.source_dir = m->dir;
    /* The definitions in force: the last -D of each name, by name. */
    size_t n = o->defs ? o->defs->n : 0;
    const char **names = xcalloc(n ? n : 1, sizeof *names);
    size_t k = 0;
    for (size_t i = n; i-- > 0;) {
        const char *name = o->defs->v[i].name;
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++) {
            seen = !strcmp(names[j], name);
        }
        if (!seen) {
            names[k++] = name;
        }
    }
    qsort(names, k, sizeof *names, by_name);
    st->values = xcalloc(k ? k : 1, sizeof *st->values);
    for (size_t i = 0; i < k; i++) {
        st->values[i] = defines_get(o->defs, names[i], strlen(names[i]));
    }
    st->names = names;
    st->o.define_names = names;
    st->o.define_values = st->values;
    st->o.n_defines = k;
    if (mpy->state > 0) {
        st->o.mpy_cross = mpy->path;
        st->o.mpy_args = (const char *const *)mpy->args.v;
        st->o.n_mpy_args = mpy->args.n;
    }
    st->inputs = xcalloc(c->n_srcs ? c->n_srcs : 1, sizeof *st->inputs);
    for (size_t i = 0; i < c->n_srcs; i++) {
        const source *s = c->srcs[i];
        st->inputs[i].host = s->py_host ? s->py_host : s->host;
        st->inputs[i].compiled = s->py_host ? s->host : NULL;
        st->inputs[i].path = s->node->path;
    }
    qsort(st->inputs, c->n_srcs, sizeof *st->inputs, by_image_path);
    st->o.inputs = st->inputs;
    st->o.n_inputs = c->n_srcs;
}

static void origin_free(origin_store *st) {
    free(st->inputs);
    free(st->names);
    free(st->values);
}

int build_run(const manifest *m, const build_opts *o) {
    if (to_stdout(o) && isatty(STDOUT_FILENO)) {
        diag_error("not writing an image to a terminal: redirect stdout, or give -o FILE");
        return EXIT_USAGE;
    }
    collection c;
    collection_init(&c);
    build_state old;
    bool temporary_cache;
    char *cache = cache_dir_for(o, &temporary_cache);
    char *state_file = to_stdout(o) ? NULL : state_path(cache, o->output);
    state_load(&old, state_file);
    mpy_compiler mpy;
    mpy_compiler_init(&mpy, m, o->mpy_cross, cache);
    layout lay = {0};
    loaded_base base = {0};
    int status = EXIT_INPUT;
    if (check_outputs(o, cache) != 0 || (o->base != NULL && base_load(o->base, &base) != 0) ||
        sources_collect(m, &mpy, false, &c) != 0 || compile_python(&c, &mpy, &old, cache, o) != 0) {
        goto out;
    }
    if (check_budgets(m, &c) != 0 || check_mpy_abi(m, &c, &mpy) != 0) {
        goto out;
    }
    if (!o->keep_layout) {
        layout_compute(&c.t, &lay);
    } else if (keep_or_canonical(m, o, &c, &old, &base, &lay) != 0) {
        goto out;
    }
    const uint8_t *base_id = lay.keep ? base.identity : NULL;
    image_base gaps = {base.f.bytes, base.f.len};
    if (m->has_capacity && lay.size > m->capacity) {
        diag_error_at(&m->capacity_pos,
                      "image is %" PRIu64 " bytes, %" PRIu64 " bytes over %s (%" PRIu64 " bytes)",
                      lay.size, lay.size - m->capacity,
                      m->capacity_pos.file ? "image.size" : "--size", m->capacity);
        goto out;
    }
    check_warn_at(m, &lay, to_stdout(o) ? "<stdout>" : o->output);
    uint8_t self[HASH_SIZE] = {0}, key[HASH_SIZE];
    hash_file("/proc/self/exe", self, NULL); /* no /proc: the version alone */
    /* Only an image this tool wrote, still as it left it, can be up to
     * date; otherwise sources are read once, as they are copied. */
    file_stat image_st;
    bool up_to_date = old.valid && file_stat_of(o->output, &image_st) == 0 &&
                      file_stat_equal(&image_st, &old.image);
    if (up_to_date) {
        if (hash_sources(&c, &old) != 0) {
            goto out;
        }
        image_key(&c, &lay, self, base_id, key);
        up_to_date = memcmp(old.key, key, HASH_SIZE) == 0;
    }
    if (!up_to_date) {
        if (write_image(o->output, &c, &lay, &gaps, &image_st) != 0) {
            goto out;
        }
        image_key(&c, &lay, self, base_id, key); /* from the bytes as copied */
    }
    tree_policy built;
    tree_policy_init(&built, &c.t);
    origin_store made_of;
    origin_make(&made_of, m, o, &c, &mpy);
    build_view v = {.image = o->output,
                    .t = &c.t,
                    .lay = &lay,
                    .deps = &c.deps,
                    .has_capacity = m->has_capacity,
                    .capacity = m->capacity,
                    .policy = &built.base,
                    .report_base = o->report_base,
                    .erase_block = erase_block_of(m, o),
                    .head = read_head,
                    .origin = &made_of.o,
                    .deploy = o->deploy};
    int written = write_outputs(o, &v);
    origin_free(&made_of);
    if (written != 0) {
        goto out;
    }
    /* The state only spares the next build some reading: the image is
     * complete and in place, so the build succeeds without it. */
    if (state_file != NULL && state_save(&old, state_file, key, &image_st, &c) != 0) {
        diag_warn("%s: cannot save the build state (%s); the image is complete, and the next "
                  "build reads every source again",
                  shown(state_file), strerror(errno));
    }
    summarize(m, &c, &lay, to_stdout(o) ? "<stdout>" : o->output, up_to_date);
    status = 0;
out:
    base_free(&base);
    layout_free(&lay);
    mpy_compiler_free(&mpy);
    state_free(&old);
    free(state_file);
    if (temporary_cache) {
        remove_tree(cache);
    }
    free(cache);
    collection_free(&c);
    return status;
}

/* A build is skipped, leaving the image file untouched so that nothing
 * downstream relinks, when the image it would write is the one already
 * there. "The one already there" is decided by a key: a hash of the tool
 * (its version and its own binary) and of every field of the layout,
 * each file's content hash included, which together fix every byte of
 * the image. Content hashes come from the state file for sources whose
 * stat is unchanged, so an up-to-date build reads no source at all. The
 * image must also still be the file this tool last wrote (same stat). */
#include "pack/build.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "util/alloc.h"
#include "util/atomic_file.h"
#include "outputs/depfile.h"
#include "util/hash.h"
#include "util/path.h"
#include "inspect/image_file.h"
#include "format/writer.h"
#include "format/layout.h"
#include "inspect/listing.h"
#include "pack/mpy_compile.h"
#include "pack/mpy_compiler.h"
#include "pack/sources.h"
#include "pack/state.h"
#include "util/strlist.h"
#include "format/tree.h"
#include "util/version.h"

/* The cache directory: --cache-dir, else .romfs-cache beside the image. */
static char *cache_dir_for(const build_opts *o) {
    if (o->cache_dir != NULL) {
        return path_abs(o->cache_dir);
    }
    char *dir = path_dirname_abs(o->output);
    char *cache = path_join(dir, ".romfs-cache");
    free(dir);
    return cache;
}

/* <cache>/state/<image name>-<hash of its absolute path>: one per image,
 * even when build trees share a cache directory. */
static char *state_path(const char *cache, const char *output) {
    char *abs = path_abs(output);
    char *base = path_basename(abs);
    char *p =
        xasprintf("%s/state/%s-%016" PRIx64, cache, base, (uint64_t)XXH3_64bits(abs, strlen(abs)));
    free(abs);
    free(base);
    return p;
}

/* Content hashes for every source: from the state where its stat still
 * matches, else by reading it. */
static int hash_sources(tree *t, const build_state *old) {
    for (size_t i = 0; i < t->n_nodes; i++) {
        node *n = t->all[i];
        if (n->is_dir) {
            continue;
        }
        const uint8_t *known = state_hash_for(old, n->host, &n->st);
        if (known != NULL) {
            memcpy(n->hash, known, HASH_SIZE);
            continue;
        }
        if (hash_file(n->host, n->hash, NULL) != 0) {
            diag_error("%s: cannot read: %s", shown(n->from.shown), strerror(errno));
            return -1;
        }
    }
    return 0;
}

static void key_u64(XXH3_state_t *h, uint64_t v) {
    unsigned char le[8];
    for (int i = 0; i < 8; i++) {
        le[i] = (unsigned char)(v >> (8 * i));
    }
    XXH3_128bits_update(h, le, sizeof le);
}

static void key_node(XXH3_state_t *h, const node *n) {
    key_u64(h, n->is_dir);
    key_u64(h, n->name_len);
    XXH3_128bits_update(h, n->name, n->name_len);
    key_u64(h, n->len);
    key_u64(h, n->width);
    if (n->is_dir) {
        key_u64(h, n->n_kids);
        for (size_t i = 0; i < n->n_kids; i++) {
            key_node(h, n->kids[i]);
        }
        return;
    }
    key_u64(h, n->pad);
    key_u64(h, n->data_width);
    key_u64(h, n->size);
    key_u64(h, n->data_offset);
    XXH3_128bits_update(h, n->hash, HASH_SIZE);
}

/* The key of the image the layout describes, walked in image order so
 * that the manifest's own order does not matter. */
static void image_key(const tree *t, const layout *lay, const uint8_t self[HASH_SIZE],
                      uint8_t out[HASH_SIZE]) {
    XXH3_state_t *h = XXH3_createState();
    if (h == NULL) {
        diag_error("out of memory");
        exit(EXIT_INPUT);
    }
    XXH3_128bits_reset(h);
    static const char tag[] = "romfs image key 1 " ROMFS_VERSION;
    XXH3_128bits_update(h, tag, sizeof tag);
    XXH3_128bits_update(h, self, HASH_SIZE);
    key_u64(h, lay->size);
    key_u64(h, lay->payload_len);
    key_u64(h, lay->root_width);
    key_u64(h, lay->tail);
    key_node(h, t->root);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(h));
    memcpy(out, c.digest, HASH_SIZE);
    XXH3_freeState(h);
}

/* Saves the listing only when it changed, so it never looks newer than
 * the image it describes. */
static int write_listing(const char *image, const char *listing) {
    image_file f;
    if (image_file_open(&f, image) != 0) {
        return -1;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL) {
        diag_error("out of memory");
        image_file_close(&f);
        return -1;
    }
    int rc = listing_print(mem, &f, false);
    fclose(mem);
    image_file_close(&f);
    if (rc == 0) {
        rc = write_if_changed(listing, text, len);
    }
    free(text);
    return rc;
}

/* For assembly that embeds the image (romfs_embed_image() in CMake): the
 * alignment its first byte needs, which changes far less often than the
 * image, so that nothing including it rebuilds for an asset edit. */
static int write_align_header(const char *path, const char *image, const layout *lay) {
    unsigned align = lay->max_align < 4 ? 4 : lay->max_align;
    char *text = xasprintf("/* Generated by romfs build: the alignment %s needs in memory (the\n"
                           " * largest any of its files needs, and at least 4). */\n"
                           "#define ROMFS_IMAGE_ALIGN %u\n",
                           image, align);
    int rc = write_if_changed(path, text, strlen(text));
    free(text);
    return rc;
}

/* Writes the image; `st` gets the stat of the file this build put in
 * place, for the state to recognise it by. */
static int write_image(const char *out, tree *t, const layout *lay, file_stat *st) {
    atomic_file f;
    if (atomic_open(&f, out) != 0) {
        return -1;
    }
    if (image_write(f.fd, out, t, lay) != 0) {
        atomic_abort(&f);
        return -1;
    }
    return atomic_commit(&f, st);
}

static void summarize(const manifest *m, const tree *t, const layout *lay, const char *out,
                      bool up_to_date) {
    diag_info("%s: %s%zu files, %zu directories, %" PRIu64 " bytes, %" PRIu64
              " bytes of alignment padding (largest alignment %u)",
              shown(out), up_to_date ? "up to date: " : "", t->n_files, t->n_dirs, lay->size,
              lay->padding, lay->max_align);
    if (m->has_capacity) {
        diag_info("%s: %" PRIu64 " / %" PRIu64 " bytes used (%.1f%%), %" PRIu64 " bytes free",
                  shown(out), lay->size, m->capacity,
                  100.0 * (double)lay->size / (double)m->capacity, m->capacity - lay->size);
    }
}

/* Compiles what is to be compiled, and says what could not be. */
static int compile_python(tree *t, mpy_compiler *mpy, size_t fallbacks, const build_state *old,
                          const char *cache, const build_opts *o, strlist *deps) {
    if (fallbacks > 0) {
        diag_warn("%zu .py file%s packed as source (mpy: auto): %s", fallbacks,
                  fallbacks == 1 ? "" : "s", mpy->missing);
    }
    if (mpy->state <= 0) {
        return 0;
    }
    strlist_add(deps, mpy->path); /* a new compiler must rebuild the image */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned jobs = o->jobs ? o->jobs : cpus > 0 ? (unsigned)cpus : 1;
    size_t compiled = 0;
    int rc = mpy_compile_all(t, mpy, old, cache, jobs, &compiled);
    if (rc == 0 && compiled > 0) {
        diag_info("compiled %zu .py file%s with %s", compiled, compiled == 1 ? "" : "s",
                  shown(mpy->path));
    }
    return rc;
}

/* Fails early, before the image is replaced, on a side output that could
 * never be written: a directory in its place, or no directory to hold it. */
static int check_writable(const char *path, const char *what) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        diag_error("%s: cannot write the %s: it is a directory", shown(path), what);
        return -1;
    }
    char *dir = path_dirname_abs(path);
    int rc = 0;
    if (stat(dir, &st) != 0 || (!S_ISDIR(st.st_mode) && (errno = ENOTDIR)) ||
        access(dir, W_OK) != 0) {
        diag_error("%s: cannot write the %s: %s", shown(path), what, strerror(errno));
        rc = -1;
    }
    free(dir);
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
    if (rc == 0 && o->depfile != NULL) {
        rc = check_writable(o->depfile, "depfile");
    }
    if (rc == 0 && o->listing != NULL) {
        rc = check_writable(o->listing, "listing");
    }
    if (rc == 0 && o->align_header != NULL) {
        rc = check_writable(o->align_header, "alignment header");
    }
    return rc;
}

int build_run(const manifest *m, const build_opts *o) {
    tree t;
    tree_init(&t);
    strlist deps = {0};
    build_state old;
    char *cache = cache_dir_for(o);
    char *state_file = state_path(cache, o->output);
    state_load(&old, state_file);
    mpy_compiler mpy = {
        .spec = m->mpy_cross ? m->mpy_cross : o->mpy_cross,
        .spec_from = m->mpy_cross ? "image.mpy_cross" : "-D ROMFS_MPY_CROSS",
        .base_dir = m->dir,
        .cache_dir = cache,
    };
    size_t fallbacks = 0;
    int status = EXIT_INPUT;
    if (check_outputs(o, cache) != 0 || sources_collect(m, &t, &deps, &mpy, &fallbacks) != 0 ||
        compile_python(&t, &mpy, fallbacks, &old, cache, o, &deps) != 0) {
        goto out;
    }
    layout lay;
    layout_compute(&t, &lay);
    if (m->has_capacity && lay.size > m->capacity) {
        diag_error_at(&m->capacity_pos,
                      "image is %" PRIu64 " bytes, %" PRIu64 " bytes over %s (%" PRIu64 " bytes)",
                      lay.size, lay.size - m->capacity,
                      m->capacity_pos.file ? "image.size" : "--size", m->capacity);
        goto out;
    }
    uint8_t self[HASH_SIZE] = {0}, key[HASH_SIZE];
    hash_file("/proc/self/exe", self, NULL); /* no /proc: the version alone */
    /* Only an image this tool wrote, still as it left it, can be up to
     * date; otherwise sources are read once, as they are copied. */
    file_stat image_st;
    bool up_to_date = old.valid && file_stat_of(o->output, &image_st) == 0 &&
                      file_stat_equal(&image_st, &old.image);
    if (up_to_date) {
        if (hash_sources(&t, &old) != 0) {
            goto out;
        }
        image_key(&t, &lay, self, key);
        up_to_date = memcmp(old.key, key, HASH_SIZE) == 0;
    }
    if (!up_to_date) {
        if (write_image(o->output, &t, &lay, &image_st) != 0) {
            goto out;
        }
        image_key(&t, &lay, self, key); /* from the bytes as copied */
    }
    if ((o->listing != NULL && write_listing(o->output, o->listing) != 0) ||
        (o->align_header != NULL && write_align_header(o->align_header, o->output, &lay) != 0) ||
        (o->depfile != NULL && depfile_write(o->depfile, o->output, &deps) != 0) ||
        state_save(&old, state_file, key, &image_st, &t) != 0) {
        goto out;
    }
    summarize(m, &t, &lay, o->output, up_to_date);
    status = 0;
out:
    mpy_compiler_free(&mpy);
    state_free(&old);
    free(state_file);
    free(cache);
    strlist_free(&deps);
    tree_free(&t);
    return status;
}

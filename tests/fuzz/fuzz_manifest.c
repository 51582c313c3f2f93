/*
 * libFuzzer target: manifest_parse() on arbitrary bytes, with a few -D
 * definitions for ${NAME} to expand, then manifest_free(). A manifest that
 * loads is also asked for the settings of a few paths, which runs every
 * rule's compiled glob: a pattern that compiles must also match safely.
 *
 * Built a second time with ROMFS_FUZZ_EXPAND as fuzz_manifest_large, it
 * first expands its input (see expand()) into a manifest of up to 17 MiB,
 * so that what only a large manifest does (alias amplification, deep
 * nesting, the size and value limits) is in reach of a fuzzer whose
 * inputs are a few kilobytes.
 *
 * No files are touched: manifest_parse reads only the text it is given
 * (the path is used in messages and, through getcwd, for the manifest's
 * directory).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "manifest/manifest.h"
#include "manifest/settings.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static defines defs;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    /* BUILD and SOURCE as romfs_add_image() always passes them; EMPTY and
     * a value holding '$' and '}' to expand into awkward places; the last
     * -D of a name wins, so NAME is defined twice. */
    static const char *const d[] = {
        "BUILD=/tmp/build", "SOURCE=/src/app",   "EMPTY=", "NAME=first", "NAME=lib/**/x",
        "DOLLAR=${X}$$}",   "_under_9=[a-z]*.py"};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        if (defines_add(&defs, d[i]) != 0) {
            abort();
        }
    }
    fuzz_quiet_stderr();
    return 0;
}

static int power_of_two(unsigned a) {
    return a >= 1 && a <= 4096 && (a & (a - 1)) == 0;
}

#ifdef ROMFS_FUZZ_EXPAND
/* The input is segments separated by 0xff bytes; each segment's first
 * byte r says how many times (r * r, up to 65,025) the rest of it is
 * repeated. The result stops just past 16 MiB, the manifest size limit. */
static char *expand(const uint8_t *data, size_t size, size_t *len) {
    enum { LIMIT = (16 << 20) + 1 };
    char *text = malloc(LIMIT);
    if (text == NULL) {
        abort();
    }
    size_t n = 0, i = 0;
    while (i < size && n < LIMIT) {
        const uint8_t *end = memchr(data + i, 0xff, size - i);
        size_t seg_end = end ? (size_t)(end - data) : size;
        unsigned reps = (unsigned)data[i] * data[i];
        const uint8_t *piece = data + i + 1;
        size_t piece_len = seg_end > i ? seg_end - i - 1 : 0;
        for (unsigned r = 0; r < (reps ? reps : 1) && piece_len > 0 && n < LIMIT; r++) {
            size_t take = piece_len < LIMIT - n ? piece_len : LIMIT - n;
            memcpy(text + n, piece, take);
            n += take;
        }
        i = seg_end + 1;
    }
    *len = n;
    return text;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
#ifdef ROMFS_FUZZ_EXPAND
    char *text = expand(data, size, &size);
#else
    /* Not NUL-terminated, and exactly its size: manifest_parse takes a
     * length and must not read past it. */
    char *text = malloc(size ? size : 1);
    if (text == NULL) {
        return 0;
    }
    if (size > 0) {
        memcpy(text, data, size);
    }
#endif
    manifest m;
    int rc = manifest_parse("fuzz/manifest.yaml", text, size, &defs, &m);
    CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        CHECK(power_of_two(m.image.align));
        CHECK(m.n_files == 0 || m.files != NULL);
        for (size_t i = 0; i < m.n_rules; i++) {
            CHECK(m.rules[i].glob != NULL && m.rules[i].pattern != NULL);
            CHECK(m.rules[i].set.align == 0 || power_of_two(m.rules[i].set.align));
        }
        for (size_t i = 0; i < m.n_files; i++) {
            CHECK(m.files[i].src != NULL);
            for (size_t j = 0; j < m.files[i].n_exclude; j++) {
                CHECK(m.files[i].exclude_globs[j] != NULL);
            }
        }
        static const char *const paths[] = {"model.tflite", "lib/app/main.py", "a/b/c/d.bin", "x",
                                            "\xc3\xbc/[x]/*.txt"};
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            settings s = manifest_settings_for(&m, m.n_files ? &m.files[0] : NULL, paths[i]);
            CHECK(power_of_two(s.align));
        }
        for (size_t i = 0; i < m.n_files; i++) {
            for (size_t j = 0; j < m.files[i].n_exclude; j++) {
                glob_match(m.files[i].exclude_globs[j], "dir/sub/file.tmp");
            }
        }
    }
    manifest_free(&m);
    free(text);
    return 0;
}

/*
 * libFuzzer target: the tool's inspection path on arbitrary bytes, as
 * `romfs verify` and `romfs ls` run it: image_check (structure, names,
 * duplicates, alignment by the built-in rules and by a manifest's) and
 * listing_print in both formats.
 *
 * The image_file is built in memory with the same acceptance test as
 * image_file_open (header, then romfs_open) instead of mapping a file: a
 * mapping is readable to the end of its last page, which would hide an
 * overrun from AddressSanitizer, while an exact-size heap copy does not.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "heap_hooks.h"
#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "inspect/listing.h"
#include "manifest/manifest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The heap the code under test holds at its worst, counted by the
 * sanitizer's allocation hooks: a directory nested a few thousand deep
 * in a few kilobytes must not make the tool allocate a number of bytes
 * that grows with the square of the image. Blocks that existed before
 * counting started may be freed during it, so `live` can go negative. */
static long long live, peak;
static int counting;

static void on_malloc(const volatile void *p, size_t n) {
    (void)p;
    if (counting) {
        live += (long long)n;
        peak = live > peak ? live : peak;
    }
}

static void on_free(const volatile void *p) {
    if (counting) {
        live -= (long long)__sanitizer_get_allocated_size((const void *)p);
    }
}

/* Linear in the image: the walk's stack and path, the duplicate check's
 * map, all per entry or per byte, with room to spare. */
enum { HEAP_PER_BYTE = 64, HEAP_BASE = 64 << 10 };

static void start_counting(void) {
    live = peak = 0;
    counting = 1;
}

static void stop_counting(const char *what, size_t size) {
    counting = 0;
    if (peak > (long long)(HEAP_PER_BYTE * size + HEAP_BASE)) {
        fprintf(real_stderr, "%s held %lld bytes of heap for a %zu-byte image (limit %zu)\n", what,
                peak, size, (size_t)(HEAP_PER_BYTE * size + HEAP_BASE));
        abort();
    }
}

static FILE *devnull;
static manifest rules;

/* Rules that give files different alignments, so that image_check's
 * manifest path (entry_for, the .mpy-as-.py lookup) runs too. */
static const char rules_yaml[] = "version: 1\n"
                                 "image:\n"
                                 "  align: 8\n"
                                 "  target: n6\n"
                                 "rules:\n"
                                 "  - match: \"*.bin\"\n"
                                 "    align: 32\n"
                                 "  - match: \"lib/**/*.py\"\n"
                                 "    align: 16\n"
                                 "files:\n"
                                 "  - src: assets/model.tflite\n"
                                 "  - src: python/lib\n"
                                 "    dst: lib/\n"
                                 "    align: 2\n"
                                 "  - src: data\n"
                                 "    dst: .\n";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    devnull = fopen("/dev/null", "w");
    real_stderr = stderr;
    if (devnull == NULL) {
        abort();
    }
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
    defines none = {0};
    if (manifest_parse("fuzz-rules.yaml", rules_yaml, sizeof rules_yaml - 1, &none, &rules) != 0) {
        abort();
    }
    /* The tool reports every fault of a corrupt image on stderr, which is
     * most of what the fuzzer feeds it; printing it all costs more than
     * the checks. Only the stdio stream is swapped: libFuzzer and the
     * sanitizers write their reports through their own handles, and
     * ROMFS_FUZZ_VERBOSE=1 keeps the tool's lines for debugging. */
    const char *verbose = getenv("ROMFS_FUZZ_VERBOSE");
    if (verbose == NULL || strcmp(verbose, "1") != 0) {
        stderr = devnull;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned char *copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    if (size > 0) {
        memcpy(copy, data, size);
    }
    static const unsigned char header[3] = {0xd2, 0xcd, 0x31};
    image_file f;
    memset(&f, 0, sizeof f);
    f.path = "fuzz.romfs";
    f.bytes = copy;
    f.len = size;
    if (size >= 4 && memcmp(copy, header, 3) == 0 && romfs_open(&f.img, copy, size) == ROMFS_OK) {
        check_opts o = {true, NULL, false};
        check_result r;
        start_counting();
        size_t faults = image_check(&f, &o, &r);
        stop_counting("image_check", size);
        CHECK(faults == r.faults);
        /* Each entry's record takes at least three bytes of the image. */
        CHECK((r.files + r.dirs) * 3 <= f.img.payload_len);
        CHECK(r.max_align >= 1 && (r.max_align & (r.max_align - 1)) == 0);

        /* Alignment checked or not, by the input, as `extract` and
         * `verify` differ. */
        check_opts with_rules = {size % 3 != 0, &rules, true};
        check_result r2;
        image_check(&f, &with_rules, &r2);
        CHECK(r2.files == r.files && r2.dirs == r.dirs);

        start_counting();
        int text = listing_print(devnull, &f, false);
        int json = listing_print(devnull, &f, true);
        stop_counting("listing_print", size);
        CHECK(text == json);
        /* A listing that stops at a structural fault means verify saw it. */
        CHECK(text == 0 || r.faults > 0);
    }
    free(copy);
    return 0;
}

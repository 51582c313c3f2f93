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
#include <sys/stat.h>

#include "fuzz_check.h"
#include "heap_hooks.h"
#include "inspect/image_check.h"
#include "inspect/image_file.h"
#include "inspect/listing.h"
#include "manifest/manifest.h"
#include "pack/align_policy.h"

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

static manifest rules;
static builtin_policy builtin_n6;
static plan_policy plan;

/* Rules that give files different alignments, so that the plan policy
 * (what verify --manifest and ls --manifest judge by) runs too; its
 * sources are made in a scratch directory at start-up. */
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
                                 "  - src: model.tflite\n"
                                 "  - src: lib\n"
                                 "    dst: lib/\n"
                                 "    align: 2\n"
                                 "  - src: data\n"
                                 "    dst: .\n";

static void make_file(const char *dir, const char *rel) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(rel, f) < 0 || fclose(f) != 0) {
        abort();
    }
}

static void make_plan(void) {
    char dir[] = "/tmp/romfs-fuzz-inspect-XXXXXX";
    char sub[600];
    if (mkdtemp(dir) == NULL) {
        abort();
    }
    for (const char *d = "lib\0lib/pkg\0data\0data/x\0"; *d; d += strlen(d) + 1) {
        snprintf(sub, sizeof sub, "%s/%s", dir, d);
        if (mkdir(sub, 0777) != 0) {
            abort();
        }
    }
    make_file(dir, "model.tflite");
    make_file(dir, "lib/a.py");
    make_file(dir, "lib/pkg/b.bin");
    make_file(dir, "data/c.bin");
    make_file(dir, "data/x/d.json");
    char manifest_path[600];
    snprintf(manifest_path, sizeof manifest_path, "%s/fuzz-rules.yaml", dir);
    defines none = {0};
    if (manifest_parse(manifest_path, rules_yaml, sizeof rules_yaml - 1, &none, &rules) != 0 ||
        plan_policy_init(&plan, &rules, NULL) != 0) {
        abort();
    }
    builtin_policy_init(&builtin_n6, TARGET_N6);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_quiet_stderr();
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
    make_plan();
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
    image_file f;
    memset(&f, 0, sizeof f);
    f.path = "fuzz.romfs";
    f.shown = "fuzz.romfs";
    f.bytes = copy;
    f.len = size;
    if (romfs_open(&f.img, copy, size) == ROMFS_OK) {
        builtin_policy builtin;
        builtin_policy_init(&builtin, TARGET_NONE);
        check_opts o = {.align = &builtin.base};
        check_result r;
        start_counting();
        size_t faults = image_check(&f, &o, &r);
        stop_counting("image_check", size);
        CHECK(faults == r.faults);
        /* Each entry's record takes at least three bytes of the image. */
        CHECK((r.files + r.dirs) * 3 <= f.img.payload_len);
        CHECK(r.max_align >= 1 && (r.max_align & (r.max_align - 1)) == 0);

        /* No alignment (as `extract` checks), a target's, or a manifest's,
         * by the input. */
        memset(plan.seen, 0, plan.plan.t.n_nodes * sizeof *plan.seen);
        const align_policy *policies[3] = {NULL, &builtin_n6.base, &plan.base};
        check_opts with_rules = {.align = policies[size % 3], .quiet = true};
        check_result r2;
        image_check(&f, &with_rules, &r2);
        CHECK(r2.files == r.files && r2.dirs == r.dirs);

        start_counting();
        int text = listing_print(devnull, &f, false, &builtin.base);
        int json = listing_print(devnull, &f, true, policies[1 + size % 2]);
        stop_counting("listing_print", size);
        CHECK(text == json);
        /* A listing that stops at a structural fault means verify saw it. */
        CHECK(text == 0 || r.faults > 0);
    }
    free(copy);
    return 0;
}

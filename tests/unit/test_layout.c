/* The layouts (format/layout.c, format/keep_layout.c) and the writer,
 * with no file system: trees of random shapes, sizes and alignments are
 * laid out, written into memory through a sink whose file data is a
 * pattern of the file's id, and read back with the runtime reader, which
 * must find every file at the offset the layout gave it, with its bytes,
 * aligned as it asked. The canonical layout must also be minimal where
 * nothing is aligned (every varuint shortest, as mpremote writes), and
 * the block-keeping layout must keep what a base holds. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/keep_layout.h"
#include "format/layout.h"
#include "format/tree.h"
#include "format/varuint.h"
#include "format/writer.h"
#include "romfs/reader.h"
#include "util/bytes.h"

static unsigned checks, failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            fprintf(stderr, "%s:%d: %s: ", __FILE__, __LINE__, #cond);                             \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* A tiny deterministic generator, so a failing seed can be run again. */
static uint64_t rng_state;
static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static unsigned below(unsigned n) {
    return (unsigned)(rnd() % n);
}

static uint8_t byte_of(const node *n, uint64_t i) {
    return (uint8_t)(n->id * 31 + i * 7 + (i >> 8));
}

/* The content hash the keep layout compares: here a digest of the id's
 * pattern and the size, so equal ids and sizes mean equal bytes. */
typedef struct {
    uint8_t hash[HASH_SIZE];
} fake_content;

static const uint8_t *hash_of(const node *n) {
    return ((const fake_content *)n->content)->hash;
}

typedef struct {
    image_sink sink;
    uint8_t *buf;
    size_t len, cap;
    const uint8_t *base;
    size_t base_len;
} mem_sink;

static int mem_put(image_sink *s, const void *p, size_t n) {
    mem_sink *m = (mem_sink *)s;
    if (m->len + n > m->cap) {
        m->cap = (m->len + n) * 2;
        m->buf = realloc(m->buf, m->cap);
        if (m->buf == NULL) {
            abort();
        }
    }
    memcpy(m->buf + m->len, p, n);
    m->len += n;
    return 0;
}

static int mem_file(image_sink *s, const node *n, uint64_t offset) {
    mem_sink *m = (mem_sink *)s;
    if (offset != m->len) {
        fprintf(stderr, "file data at %" PRIu64 " but the stream is at %zu\n", offset, m->len);
        abort();
    }
    for (uint64_t i = 0; i < n->size; i++) {
        uint8_t b = byte_of(n, i);
        mem_put(s, &b, 1);
    }
    return 0;
}

static int mem_gap(image_sink *s, uint64_t offset, uint64_t n) {
    mem_sink *m = (mem_sink *)s;
    for (uint64_t i = 0; i < n; i++) {
        uint8_t b = offset + i < m->base_len ? m->base[offset + i] : 0xff;
        mem_put(s, &b, 1);
    }
    return 0;
}

static uint8_t *write_image(const tree *t, const layout *lay, const uint8_t *base,
                            size_t base_len, size_t *len) {
    mem_sink m = {{mem_put, mem_file, mem_gap}, NULL, 0, 0, base, base_len};
    CHECK(image_write(t, lay, &m.sink) == 0, "write");
    CHECK(m.len == lay->size, "wrote %zu bytes, the layout says %" PRIu64, m.len, lay->size);
    *len = m.len;
    return m.buf;
}

/* A random tree: nested directories, files of random sizes (some 0, some
 * past 127 and 16383 so that length varuints grow) and alignments. */
static void random_tree(tree *t, unsigned files, bool aligned, fake_content *contents) {
    tree_init(t);
    origin from = {{NULL, 0, 0}, "test"};
    static const unsigned aligns[] = {1, 2, 4, 8, 16, 32, 64, 4096};
    for (unsigned i = 0; i < files; i++) {
        char path[64];
        unsigned depth = below(4);
        int len = 0;
        for (unsigned d = 0; d < depth; d++) {
            len += snprintf(path + len, sizeof path - (size_t)len, "d%u/", below(3));
        }
        snprintf(path + len, sizeof path - (size_t)len, "f%u.bin", i);
        node *n = tree_add_file(t, path, &from);
        if (n == NULL) {
            continue;
        }
        unsigned r = below(10);
        n->size = r < 2 ? 0 : r < 6 ? below(200) : r < 9 ? below(5000) : 16000 + below(40000);
        n->align = aligned ? aligns[below(8)] : 1;
        memset(contents[i].hash, 0, HASH_SIZE);
        put_le64(contents[i].hash, n->id);
        put_le64(contents[i].hash + 8, n->size);
        n->content = &contents[i];
    }
    tree_sort(t);
}

/* Reads the image back and checks every file against the layout. */
static void check_readback(const tree *t, const layout *lay, const uint8_t *img, size_t len,
                           const char *what) {
    romfs_image ri;
    CHECK(romfs_open(&ri, img, len) == ROMFS_OK, "%s: open", what);
    CHECK(len % 2 == 0, "%s: odd size %zu", what, len);
    for (size_t i = 0; i < t->n_nodes; i++) {
        const node *n = t->all[i];
        if (n->is_dir || n->path[0] == '\0') {
            continue;
        }
        romfs_entry e;
        romfs_status st = romfs_find_file(&ri, n->path, &e);
        CHECK(st == ROMFS_OK, "%s: %s: %s", what, n->path, romfs_strerror(st));
        if (st != ROMFS_OK) {
            continue;
        }
        uint64_t at = (uint64_t)(e.data - img);
        CHECK(at == lay->at[n->id].data_offset, "%s: %s at %" PRIu64 ", laid out at %" PRIu64,
              what, n->path, at, lay->at[n->id].data_offset);
        CHECK(at % n->align == 0, "%s: %s at %" PRIu64 " needs %u", what, n->path, at, n->align);
        CHECK(e.size == n->size, "%s: %s size", what, n->path);
        CHECK(e.indirect == lay->keep, "%s: %s indirect", what, n->path);
        bool same = true;
        for (uint64_t b = 0; b < n->size && same; b++) {
            same = e.data[b] == byte_of(n, b);
        }
        CHECK(same, "%s: %s bytes", what, n->path);
    }
}

static void test_canonical(unsigned seed) {
    rng_state = 0x9e3779b97f4a7c15ull * (seed + 1);
    for (int aligned = 0; aligned < 2; aligned++) {
        fake_content contents[300];
        tree t;
        random_tree(&t, 1 + below(300), aligned, contents);
        layout lay;
        layout_compute(&t, &lay);
        size_t len;
        uint8_t *img = write_image(&t, &lay, NULL, 0, &len);
        char what[64];
        snprintf(what, sizeof what, "canonical seed %u aligned %d", seed, aligned);
        check_readback(&t, &lay, img, len, what);
        /* Each file's gap before its data is the least that aligns it. */
        for (size_t i = 0; i < t.n_nodes; i++) {
            const node *n = t.all[i];
            if (!n->is_dir) {
                const placement *p = &lay.at[n->id];
                uint64_t gap = p->pad + (p->data_width - varuint_len(n->size));
                CHECK(gap < n->align, "%s: %s: a gap of %" PRIu64 " for alignment %u", what,
                      n->path, gap, n->align);
            }
        }
        if (!aligned) {
            /* mpremote's rule: every length in its shortest form, the root's
             * padded by one byte only to make the size even. */
            for (size_t i = 1; i < t.n_nodes; i++) {
                CHECK(lay.at[i].width == varuint_len(lay.at[i].len), "%s: width", what);
            }
            uint64_t shortest = 3 + varuint_len(lay.payload_len) + lay.payload_len;
            CHECK(lay.root_width == varuint_len(lay.payload_len) + shortest % 2,
                  "%s: root width %u", what, lay.root_width);
            CHECK(lay.padding == 0 && lay.tail == 0, "%s: padding without alignment", what);
        } else {
            uint64_t bound = 3;
            for (size_t i = 0; i < t.n_nodes; i++) {
                if (!t.all[i]->is_dir) {
                    bound += t.all[i]->align - 1 + 3;
                }
            }
            CHECK(lay.padding <= bound, "%s: padding %" PRIu64 " over %" PRIu64, what,
                  lay.padding, bound);
        }
        free(img);
        layout_free(&lay);
        tree_free(&t);
    }
}

/* The base a keep layout of `t` leaves for the next build. */
static keep_base base_of(const tree *t, const layout *lay, keep_extent *files) {
    keep_base b = {lay->size, lay->keep ? lay->data_start : 0, files, 0};
    for (size_t i = 0; i < t->n_nodes; i++) {
        const node *n = t->all[i];
        if (!n->is_dir) {
            keep_extent *e = &files[b.n_files++];
            e->path = n->path;
            e->offset = lay->at[n->id].data_offset;
            e->size = n->size;
            memcpy(e->hash, hash_of(n), HASH_SIZE);
        }
    }
    return b;
}

static void test_keep(unsigned seed) {
    rng_state = 0xd1b54a32d192ed03ull * (seed + 1);
    fake_content contents[200];
    tree t;
    random_tree(&t, 1 + below(200), true, contents);
    layout first;
    keep_stats st;
    keep_base none = {0};
    layout_keep(&t, &none, hash_of, 4096, 0, &first, &st);
    CHECK(st.fresh && st.why == NULL, "fresh without a base");
    CHECK(first.data_start % 4096 == 0 && first.data_start >= first.tree_end + 6,
          "data area at %" PRIu64 " after a tree ending at %" PRIu64, first.data_start,
          first.tree_end);
    size_t len0;
    uint8_t *img0 = write_image(&t, &first, NULL, 0, &len0);
    char what[64];
    snprintf(what, sizeof what, "keep seed %u", seed);
    check_readback(&t, &first, img0, len0, what);

    /* The same tree against itself: every file stays, the same bytes. */
    keep_extent *ext = calloc(t.n_files + 1, sizeof *ext);
    keep_base base = base_of(&t, &first, ext);
    layout again;
    layout_keep(&t, &base, hash_of, 4096, 0, &again, &st);
    CHECK(!st.fresh && st.placed == 0 && st.rewritten_in_place == 0, "%s: all kept", what);
    size_t len1;
    uint8_t *img1 = write_image(&t, &again, img0, len0, &len1);
    CHECK(len1 == len0 && memcmp(img0, img1, len0) == 0, "%s: the same bytes", what);
    free(img1);

    /* One file grows: everything else stays where it was. */
    node *grown = NULL;
    for (size_t i = 0; i < t.n_nodes && grown == NULL; i++) {
        if (!t.all[i]->is_dir) {
            grown = t.all[i];
        }
    }
    grown->size += 1000;
    put_le64(((fake_content *)grown->content)->hash + 8, grown->size);
    layout after;
    layout_keep(&t, &base, hash_of, 4096, 0, &after, &st);
    for (size_t i = 0; i < t.n_nodes; i++) {
        const node *n = t.all[i];
        if (!n->is_dir && n != grown) {
            CHECK(after.at[n->id].data_offset == first.at[n->id].data_offset,
                  "%s: %s moved", what, n->path);
        }
    }
    size_t len2;
    uint8_t *img2 = write_image(&t, &after, img0, len0, &len2);
    check_readback(&t, &after, img2, len2, what);

    /* A new small file against that: it goes into the hole the grown one
     * left (or another), not after the end. */
    bool hole = after.at[grown->id].data_offset != first.at[grown->id].data_offset &&
                grown->size > 1000 + 16;
    keep_extent *ext2 = calloc(t.n_files + 2, sizeof *ext2);
    keep_base base2 = base_of(&t, &after, ext2);
    origin from = {{NULL, 0, 0}, "test"};
    node *added = tree_add_file(&t, "new/small.txt", &from);
    fake_content extra = {{0}};
    put_le64(extra.hash, 999999);
    added->size = 8;
    added->align = 4;
    added->content = &extra;
    tree_sort(&t);
    layout third;
    layout_keep(&t, &base2, hash_of, 4096, 0, &third, &st);
    if (hole) {
        CHECK(third.at[added->id].data_offset < after.data_end,
              "%s: a new file after the end (%" PRIu64 ") with a hole free", what,
              third.at[added->id].data_offset);
    }
    size_t len3;
    uint8_t *img3 = write_image(&t, &third, img2, len2, &len3);
    check_readback(&t, &third, img3, len3, what);
    free(img3);
    free(ext2);
    layout_free(&third);
    free(img2);
    free(img0);
    free(ext);
    layout_free(&first);
    layout_free(&again);
    layout_free(&after);
    tree_free(&t);
}

/* A canonical base (data interleaved with records from the start): files
 * it holds past the new data area's start, aligned, are kept; the rest
 * move; nothing may land in the tree. */
static void test_keep_from_canonical(unsigned seed) {
    rng_state = 0x2545f4914f6cdd1dull * (seed + 1);
    fake_content contents[200];
    tree t;
    random_tree(&t, 20 + below(180), true, contents);
    layout canon;
    layout_compute(&t, &canon);
    size_t len0;
    uint8_t *img0 = write_image(&t, &canon, NULL, 0, &len0);
    keep_extent *ext = calloc(t.n_files + 1, sizeof *ext);
    keep_base base = base_of(&t, &canon, ext);
    layout keep;
    keep_stats st;
    layout_keep(&t, &base, hash_of, 4096, 0, &keep, &st);
    char what[64];
    snprintf(what, sizeof what, "keep from canonical seed %u", seed);
    CHECK(st.fresh && st.why != NULL, "%s: a canonical base is not kept whole", what);
    size_t kept = 0;
    for (size_t i = 0; i < t.n_nodes; i++) {
        const node *n = t.all[i];
        if (n->is_dir) {
            continue;
        }
        uint64_t was = canon.at[n->id].data_offset, is = keep.at[n->id].data_offset;
        CHECK(is >= keep.data_start, "%s: %s in the tree", what, n->path);
        if (was >= keep.data_start && was % n->align == 0) {
            kept += is == was;
        }
    }
    CHECK(st.kept == kept, "%s: kept %zu, in place %zu", what, st.kept, kept);
    size_t len1;
    uint8_t *img1 = write_image(&t, &keep, img0, len0, &len1);
    check_readback(&t, &keep, img1, len1, what);
    free(img0);
    free(img1);
    free(ext);
    layout_free(&canon);
    layout_free(&keep);
    tree_free(&t);
}

/* A base whose files overlap (no image of ours, a crafted one) is not
 * kept: the layout is laid afresh and says why. */
static void test_keep_overlapping_base(unsigned seed) {
    rng_state = 0x9e3779b97f4a7c15ull * (seed + 1);
    fake_content contents[200];
    tree t;
    random_tree(&t, 2 + below(100), true, contents);
    layout first;
    keep_stats st;
    keep_base none = {0};
    layout_keep(&t, &none, hash_of, 4096, 0, &first, &st);
    keep_extent *ext = calloc(t.n_files + 1, sizeof *ext);
    keep_base base = base_of(&t, &first, ext);
    size_t a = base.n_files, b = base.n_files;
    for (size_t i = 0; i < base.n_files; i++) { /* two files with data */
        if (ext[i].size > 1 && a == base.n_files) {
            a = i;
        } else if (ext[i].size > 1 && b == base.n_files) {
            b = i;
        }
    }
    const node *nb = b < base.n_files ? tree_find(&t, ext[b].path) : NULL;
    if (nb != NULL && ext[a].offset % nb->align == 0) {
        ext[b].offset = ext[a].offset; /* over a's bytes, and as aligned as b needs */
        layout again;
        layout_keep(&t, &base, hash_of, 4096, 0, &again, &st);
        char what[64];
        snprintf(what, sizeof what, "overlapping base seed %u", seed);
        CHECK(st.fresh && st.why != NULL && strstr(st.why, "overlap") != NULL,
              "%s: laid afresh (%s)", what, st.why ? st.why : "no reason");
        size_t len;
        uint8_t *img = write_image(&t, &again, NULL, 0, &len);
        check_readback(&t, &again, img, len, what);
        free(img);
        layout_free(&again);
    }
    free(ext);
    layout_free(&first);
    tree_free(&t);
}

int main(void) {
    for (unsigned seed = 0; seed < 60; seed++) {
        test_canonical(seed);
    }
    for (unsigned seed = 0; seed < 40; seed++) {
        test_keep(seed);
        test_keep_from_canonical(seed);
        test_keep_overlapping_base(seed);
    }
    if (failures) {
        fprintf(stderr, "%u of %u checks failed\n", failures, checks);
        return 1;
    }
    printf("%u checks held\n", checks);
    return 0;
}

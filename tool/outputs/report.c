#include "outputs/report.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/pathmap.h"

static void index_by_path(const space *s, pathmap *m) {
    for (size_t i = 0; i < s->n; i++) {
        pathmap_add(m, s->items[i].path, &s->items[i]);
    }
}

static uint64_t blocks_differing(const image_file *a, const image_file *b, uint64_t block,
                                 uint64_t *blocks) {
    size_t n = a->len > b->len ? a->len : b->len;
    uint64_t changed = 0;
    *blocks = (n + block - 1) / block;
    for (size_t at = 0; at < n; at += block) {
        size_t len = n - at < block ? n - at : (size_t)block;
        size_t ha = at < a->len ? (a->len - at < len ? a->len - at : len) : 0;
        size_t hb = at < b->len ? (b->len - at < len ? b->len - at : len) : 0;
        changed += ha != hb || memcmp(a->bytes + at, b->bytes + at, ha) != 0;
    }
    return changed;
}

static int same_bytes_then_path(const void *a, const void *b) {
    const space_item *x = *(const space_item *const *)a, *y = *(const space_item *const *)b;
    if (x->size != y->size) {
        return x->size < y->size ? -1 : 1;
    }
    int c = memcmp(x->hash, y->hash, HASH_SIZE);
    return c ? c : strcmp(x->path, y->path);
}

/* Pairs each removed file with the first added one (by path) holding the
 * same bytes, each at most once: sorted, so a hostile pair of images
 * costs n log n, not n squared. */
static void find_renames(report_diff *d, const pathmap *old, const pathmap *now) {
    const space_item **added = xcalloc(d->n_added ? d->n_added : 1, sizeof *added);
    bool *taken = xcalloc(d->n_added ? d->n_added : 1, sizeof *taken);
    for (size_t i = 0; i < d->n_added; i++) {
        added[i] = pathmap_get(now, d->added[i]);
    }
    qsort(added, d->n_added, sizeof *added, same_bytes_then_path);
    for (size_t i = 0; i < d->n_removed; i++) {
        const space_item *was = pathmap_get(old, d->removed[i]);
        size_t lo = 0, hi = d->n_added;
        while (lo < hi) { /* the first added file not below `was` by bytes */
            size_t mid = lo + (hi - lo) / 2;
            bool below = added[mid]->size != was->size
                             ? added[mid]->size < was->size
                             : memcmp(added[mid]->hash, was->hash, HASH_SIZE) < 0;
            if (below) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        while (lo < d->n_added && taken[lo] && added[lo]->size == was->size &&
               memcmp(added[lo]->hash, was->hash, HASH_SIZE) == 0) {
            lo++;
        }
        if (lo < d->n_added && added[lo]->size == was->size &&
            memcmp(added[lo]->hash, was->hash, HASH_SIZE) == 0) {
            taken[lo] = true;
            d->renamed = xrealloc(d->renamed, (d->n_renamed + 1) * sizeof *d->renamed);
            d->renamed[d->n_renamed++] = (report_rename){was->path, added[lo]->path};
        }
    }
    free(added);
    free(taken);
}

static void make_diff(report *r, const image_file *image, const image_file *base,
                      uint64_t erase_block) {
    report_diff *d = &r->diff;
    pathmap old = {0}, now = {0};
    index_by_path(&r->base, &old);
    index_by_path(&r->s, &now);
    for (size_t i = 1; i < r->s.n; i++) {
        const space_item *it = &r->s.items[i];
        const space_item *was = pathmap_get(&old, it->path);
        if (it->is_dir) {
            continue;
        }
        if (was == NULL || was->is_dir) {
            d->added = xrealloc(d->added, (d->n_added + 1) * sizeof *d->added);
            d->added[d->n_added++] = it->path;
        } else if (was->size == it->size && memcmp(was->hash, it->hash, HASH_SIZE) == 0) {
            d->unchanged++;
        } else {
            d->changed = xrealloc(d->changed, (d->n_changed + 1) * sizeof *d->changed);
            d->changed[d->n_changed++] = (report_change){it->path, was->size, it->size};
        }
    }
    for (size_t i = 1; i < r->base.n; i++) {
        const space_item *was = &r->base.items[i];
        const space_item *it = pathmap_get(&now, was->path);
        if (!was->is_dir && (it == NULL || it->is_dir)) {
            d->removed = xrealloc(d->removed, (d->n_removed + 1) * sizeof *d->removed);
            d->removed[d->n_removed++] = was->path;
        }
    }
    find_renames(d, &old, &now);
    /* Directories in either image whose totals moved. */
    for (int side = 0; side < 2; side++) {
        const space *s = side ? &r->base : &r->s;
        pathmap *other = side ? &now : &old;
        for (size_t i = 0; i < s->n; i++) {
            const space_item *it = &s->items[i];
            const space_item *twin = pathmap_get(other, it->path);
            if (!it->is_dir || (side == 1 && twin != NULL && twin->is_dir)) {
                continue; /* each directory once: from the new image, or only in the base */
            }
            uint64_t now_total = side ? 0 : it->total;
            uint64_t old_total = side ? it->total : (twin && twin->is_dir ? twin->total : 0);
            if (now_total != old_total) {
                d->dirs = xrealloc(d->dirs, (d->n_dirs + 1) * sizeof *d->dirs);
                d->dirs[d->n_dirs++] = (report_dir_delta){
                    it->path, (int64_t)now_total - (int64_t)old_total, old_total, now_total};
            }
        }
    }
    d->delta = (int64_t)r->s.image - (int64_t)r->base.image;
    d->erase_block = erase_block;
    d->blocks_changed = blocks_differing(image, base, erase_block, &d->blocks);
    pathmap_free(&old);
    pathmap_free(&now);
}

int report_make(report *r, const image_file *image, const image_file *base,
                const align_policy *policy, bool has_capacity, uint64_t capacity,
                uint64_t erase_block) {
    memset(r, 0, sizeof *r);
    r->name = image->shown;
    r->has_capacity = has_capacity;
    r->capacity = capacity;
    r->policy = policy;
    if (space_account(image, &r->s) != 0) {
        return -1;
    }
    if (policy != NULL) {
        r->need = xcalloc(r->s.n, sizeof *r->need);
        for (size_t i = 0; i < r->s.n; i++) {
            bool expected;
            const space_item *it = &r->s.items[i];
            r->need[i] =
                it->is_dir ? 0 : policy->need(policy, it->path, strlen(it->path), false, &expected);
        }
    }
    if (base != NULL) {
        r->base_name = base->shown;
        if (space_account(base, &r->base) != 0) {
            return -1;
        }
        make_diff(r, image, base, erase_block ? erase_block : 4096);
    }
    return 0;
}

void report_free(report *r) {
    space_free(&r->s);
    space_free(&r->base);
    free(r->need);
    free(r->diff.added);
    free(r->diff.removed);
    free(r->diff.changed);
    free(r->diff.renamed);
    free(r->diff.dirs);
    memset(r, 0, sizeof *r);
}

int report_write(FILE *out, const report *r, report_format format) {
    switch (format) {
    case REPORT_JSON:
        report_write_json(out, r);
        break;
    case REPORT_MARKDOWN:
        report_write_markdown(out, r);
        break;
    case REPORT_HTML:
        report_write_html(out, r);
        break;
    default:
        report_write_text(out, r);
    }
    return ferror(out) ? -1 : 0;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

report_format report_format_for(const char *path) {
    if (ends_with(path, ".json")) {
        return REPORT_JSON;
    }
    if (ends_with(path, ".md") || ends_with(path, ".markdown")) {
        return REPORT_MARKDOWN;
    }
    if (ends_with(path, ".html") || ends_with(path, ".htm")) {
        return REPORT_HTML;
    }
    return REPORT_TEXT;
}

int report_format_by_name(const char *name) {
    static const char *const names[] = {"text", "json", "markdown", "html"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(name, names[i])) {
            return i;
        }
    }
    return -1;
}

/* Beside the image: written only when it changes, like the listing. */
static int write_report(output *o, const build_view *v) {
    image_file f, b;
    if (image_file_open(&f, v->image) != 0) {
        return -1;
    }
    bool have_base = v->report_base != NULL;
    if (have_base && image_file_open(&b, v->report_base) != 0) {
        image_file_close(&f);
        return -1;
    }
    report r;
    int rc = report_make(&r, &f, have_base ? &b : NULL, v->policy, v->has_capacity, v->capacity,
                         v->erase_block);
    char *text = NULL;
    size_t len = 0;
    if (rc == 0) {
        FILE *mem = open_memstream(&text, &len);
        if (mem == NULL) {
            xalloc_failed();
        }
        rc = report_write(mem, &r, report_format_for(o->path));
        fclose(mem);
    }
    if (rc == 0) {
        rc = write_if_changed(o->path, text, len);
    }
    free(text);
    report_free(&r);
    image_file_close(&f);
    if (have_base) {
        image_file_close(&b);
    }
    return rc;
}

const output_kind report_output = {
    .name = "the report",
    .option = "report",
    .help = "a size report of the image (.txt, .json, .md or .html)",
    .write = write_report,
};

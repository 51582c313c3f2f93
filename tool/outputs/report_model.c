#include "outputs/report_model.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/pathmap.h"

static bool has_suffix(const char *path, const char *const *suffixes) {
    size_t n = strlen(path);
    for (; *suffixes != NULL; suffixes++) {
        size_t m = strlen(*suffixes);
        if (n >= m && !strcmp(path + n - m, *suffixes)) {
            return true;
        }
    }
    return false;
}

const char *report_kind(const char *path) {
    static const char *const model[] = {".tflite", ".onnx", ".nb", ".bin.model", NULL};
    static const char *const python[] = {".py", ".mpy", NULL};
    static const char *const text[] = {".txt", ".json", ".csv", ".yaml", ".yml",
                                       ".md",  ".cfg",  ".ini", NULL};
    static const char *const image[] = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", NULL};
    static const char *const web[] = {".html", ".htm", ".css", ".js", ".svg", NULL};
    return has_suffix(path, model)    ? "model"
           : has_suffix(path, python) ? "python"
           : has_suffix(path, text)   ? "text"
           : has_suffix(path, image)  ? "image"
           : has_suffix(path, web)    ? "web"
                                      : "data";
}

double report_share(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static const report *sorting;

static int larger_first(const void *a, const void *b) {
    const space_item *x = &sorting->s.items[*(const size_t *)a];
    const space_item *y = &sorting->s.items[*(const size_t *)b];
    if (x->size != y->size) {
        return x->size < y->size ? 1 : -1;
    }
    return strcmp(x->path, y->path);
}

size_t *report_files_by_size(const report *r, size_t *n) {
    size_t *v = xcalloc(r->s.n ? r->s.n : 1, sizeof *v);
    *n = 0;
    for (size_t i = 0; i < r->s.n; i++) {
        if (!r->s.items[i].is_dir) {
            v[(*n)++] = i;
        }
    }
    sorting = r;
    qsort(v, *n, sizeof *v, larger_first);
    return v;
}

int64_t report_free_bytes(const report *r) {
    return (int64_t)r->capacity - (int64_t)r->s.image;
}

static uint64_t magnitude(const report_row *row) {
    return row->new_size > row->old_size ? row->new_size - row->old_size
                                         : row->old_size - row->new_size;
}

static int biggest_change_first(const void *a, const void *b) {
    const report_row *x = a, *y = b;
    if (magnitude(x) != magnitude(y)) {
        return magnitude(x) < magnitude(y) ? 1 : -1;
    }
    return strcmp(x->path, y->path);
}

report_row *report_changes(const report *r, size_t *n) {
    const report_diff *d = &r->diff;
    *n = d->n_added + d->n_removed + d->n_changed;
    report_row *rows = xcalloc(*n ? *n : 1, sizeof *rows);
    size_t k = 0;
    pathmap sizes = {0};
    for (size_t i = 0; i < r->s.n; i++) {
        pathmap_add(&sizes, r->s.items[i].path, &r->s.items[i]);
    }
    pathmap old = {0};
    for (size_t i = 0; i < r->base.n; i++) {
        pathmap_add(&old, r->base.items[i].path, &r->base.items[i]);
    }
    pathmap moved = {0}; /* both ends of each rename */
    for (size_t i = 0; i < d->n_renamed; i++) {
        const space_item *it = pathmap_get(&sizes, d->renamed[i].to);
        rows[k++] = (report_row){"renamed", d->renamed[i].from, d->renamed[i].to, it->size,
                                 it->size};
        pathmap_add(&moved, d->renamed[i].to, (void *)&d->renamed[i]);
        pathmap_add(&moved, d->renamed[i].from, (void *)&d->renamed[i]);
    }
    for (size_t i = 0; i < d->n_added; i++) {
        const space_item *it = pathmap_get(&sizes, d->added[i]);
        const report_rename *m = pathmap_get(&moved, d->added[i]);
        if (m == NULL || strcmp(m->to, d->added[i]) != 0) {
            rows[k++] = (report_row){"added", NULL, d->added[i], 0, it->size};
        }
    }
    for (size_t i = 0; i < d->n_removed; i++) {
        const space_item *it = pathmap_get(&old, d->removed[i]);
        const report_rename *m = pathmap_get(&moved, d->removed[i]);
        if (m == NULL || strcmp(m->from, d->removed[i]) != 0) {
            rows[k++] = (report_row){"removed", NULL, d->removed[i], it->size, 0};
        }
    }
    for (size_t i = 0; i < d->n_changed; i++) {
        rows[k++] = (report_row){"changed", NULL, d->changed[i].path, d->changed[i].old_size,
                                 d->changed[i].new_size};
    }
    pathmap_free(&moved);
    *n = k;
    qsort(rows, k, sizeof *rows, biggest_change_first);
    pathmap_free(&sizes);
    pathmap_free(&old);
    return rows;
}

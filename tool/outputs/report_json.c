/* The report for scripts. Field names are a contract (tests outside the
 * project read them): totals {image, capacity, data, metadata, padding,
 * free}, files [{path, size, offset, padding, metadata, ...}], dirs [{path,
 * total, ...}], and with a base, diff {added, removed, changed [{path,
 * old_size, new_size}], unchanged, blocks_changed, ...}; a rename is in
 * added and removed, and in renamed [{from, to}] too. Sizes are bytes;
 * with a capacity, data + metadata + padding + free == capacity. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/report.h"
#include "outputs/report_model.h"
#include "util/json.h"

static void string(FILE *out, const char *s) {
    json_string(out, s, strlen(s));
}

static void totals(FILE *out, const report *r) {
    const space *s = &r->s;
    size_t n_files = 0;
    for (size_t i = 0; i < s->n; i++) {
        n_files += !s->items[i].is_dir;
    }
    fprintf(out, "  \"totals\": {\"image\": %" PRIu64 ", \"capacity\": ", s->image);
    if (r->has_capacity) {
        fprintf(out, "%" PRIu64 ", \"free\": %" PRId64, r->capacity, report_free_bytes(r));
    } else {
        fputs("null, \"free\": null", out);
    }
    fprintf(out,
            ", \"data\": %" PRIu64 ", \"metadata\": %" PRIu64 ", \"padding\": %" PRIu64
            ", \"files\": %zu, \"dirs\": %zu},\n",
            s->data, s->metadata, s->padding, n_files, s->n - n_files);
}

static void files(FILE *out, const report *r) {
    fputs("  \"files\": [", out);
    bool first = true;
    for (size_t i = 0; i < r->s.n; i++) {
        const space_item *it = &r->s.items[i];
        if (it->is_dir) {
            continue;
        }
        fprintf(out, "%s\n    {\"path\": ", first ? "" : ",");
        string(out, it->path);
        fprintf(out,
                ", \"size\": %" PRIu64 ", \"offset\": %" PRIu64 ", \"align\": %u, "
                "\"data\": %" PRIu64 ", \"metadata\": %" PRIu64 ", \"padding\": %" PRIu64
                ", \"share\": %.4f",
                it->size, it->offset, it->align, it->data, it->metadata, it->padding,
                report_share(it->data + it->metadata + it->padding, r->s.image));
        if (r->has_capacity) {
            fprintf(out, ", \"share_of_capacity\": %.4f",
                    report_share(it->data + it->metadata + it->padding, r->capacity));
        }
        if (r->need != NULL) {
            fprintf(out, ", \"align_needed\": %u", r->need[i]);
        }
        fprintf(out, ", \"kind\": \"%s\"}", report_kind(it->path));
        first = false;
    }
    fputs(first ? "],\n" : "\n  ],\n", out);
}

static void dirs(FILE *out, const report *r) {
    fputs("  \"dirs\": [", out);
    bool first = true;
    for (size_t i = 0; i < r->s.n; i++) {
        const space_item *it = &r->s.items[i];
        if (!it->is_dir) {
            continue;
        }
        fprintf(out, "%s\n    {\"path\": ", first ? "" : ",");
        string(out, it->path);
        fprintf(out,
                ", \"total\": %" PRIu64 ", \"metadata\": %" PRIu64 ", \"padding\": %" PRIu64
                ", \"share\": %.4f",
                it->total, it->metadata, it->padding, report_share(it->total, r->s.image));
        if (r->has_capacity) {
            fprintf(out, ", \"share_of_capacity\": %.4f", report_share(it->total, r->capacity));
        }
        fputs("}", out);
        first = false;
    }
    fputs(first ? "],\n" : "\n  ],\n", out);
}

static void largest(FILE *out, const report *r) {
    size_t n;
    size_t *order = report_files_by_size(r, &n);
    fputs("  \"largest\": [", out);
    for (size_t i = 0; i < n && i < 10; i++) {
        fputs(i ? ", " : "", out);
        string(out, r->s.items[order[i]].path);
    }
    fputs("]", out);
    free(order);
}

static void diff(FILE *out, const report *r) {
    const report_diff *d = &r->diff;
    fputs(",\n  \"diff\": {\"base\": ", out);
    string(out, r->base_name);
    fprintf(out, ", \"base_size\": %" PRIu64 ", \"delta\": %" PRId64 ",\n    \"added\": [",
            r->base.image, d->delta);
    for (size_t i = 0; i < d->n_added; i++) {
        fputs(i ? ", " : "", out);
        string(out, d->added[i]);
    }
    fputs("],\n    \"removed\": [", out);
    for (size_t i = 0; i < d->n_removed; i++) {
        fputs(i ? ", " : "", out);
        string(out, d->removed[i]);
    }
    fputs("],\n    \"changed\": [", out);
    for (size_t i = 0; i < d->n_changed; i++) {
        fputs(i ? ",\n      {\"path\": " : "\n      {\"path\": ", out);
        string(out, d->changed[i].path);
        fprintf(out, ", \"old_size\": %" PRIu64 ", \"new_size\": %" PRIu64 "}",
                d->changed[i].old_size, d->changed[i].new_size);
    }
    fputs("],\n    \"renamed\": [", out);
    for (size_t i = 0; i < d->n_renamed; i++) {
        fputs(i ? ", {\"from\": " : "{\"from\": ", out);
        string(out, d->renamed[i].from);
        fputs(", \"to\": ", out);
        string(out, d->renamed[i].to);
        fputc('}', out);
    }
    fprintf(out,
            "],\n    \"unchanged\": %zu, \"blocks_changed\": %" PRIu64 ", \"blocks\": %" PRIu64
            ", \"erase_block\": %" PRIu64 ",\n    \"dirs\": [",
            d->unchanged, d->blocks_changed, d->blocks, d->erase_block);
    for (size_t i = 0; i < d->n_dirs; i++) {
        fputs(i ? ",\n      {\"path\": " : "\n      {\"path\": ", out);
        string(out, d->dirs[i].path);
        fprintf(out,
                ", \"old_total\": %" PRIu64 ", \"new_total\": %" PRIu64 ", \"delta\": %" PRId64 "}",
                d->dirs[i].old_total, d->dirs[i].new_total, d->dirs[i].delta);
    }
    fputs("]}", out);
}

void report_write_json(FILE *out, const report *r) {
    fputs("{\n  \"image\": ", out);
    string(out, r->name);
    fputs(",\n", out);
    totals(out, r);
    files(out, r);
    dirs(out, r);
    largest(out, r);
    if (r->base_name != NULL) {
        diff(out, r);
    }
    fputs("\n}\n", out);
}

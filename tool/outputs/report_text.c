/* The report for a terminal: totals, then every directory (cumulative)
 * and every file with what is charged to it, the largest files, and the
 * changes against a base. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/report.h"
#include "outputs/report_model.h"
#include "util/diag.h"

static void shares(FILE *out, const report *r, uint64_t bytes) {
    fprintf(out, " %6.1f%%", report_share(bytes, r->s.image));
    if (r->has_capacity) {
        fprintf(out, " %6.1f%%", report_share(bytes, r->capacity));
    }
}

static void totals(FILE *out, const report *r) {
    const space *s = &r->s;
    fprintf(out, "%s: %" PRIu64 " bytes", shown(r->name), s->image);
    if (r->has_capacity) {
        int64_t free_bytes = report_free_bytes(r);
        fprintf(out, ", %.1f%% of %" PRIu64 " (%s %" PRId64 " bytes)",
                report_share(s->image, r->capacity), r->capacity,
                free_bytes >= 0 ? "free" : "over by", free_bytes >= 0 ? free_bytes : -free_bytes);
    }
    fprintf(out,
            "\n  data %" PRIu64 " (%.1f%%), metadata %" PRIu64 " (%.1f%%), padding %" PRIu64
            " (%.1f%%)\n",
            s->data, report_share(s->data, s->image), s->metadata,
            report_share(s->metadata, s->image), s->padding, report_share(s->padding, s->image));
}

static void table(FILE *out, const report *r, bool dirs) {
    const char *cap = r->has_capacity ? "   CAPACITY" : "";
    if (dirs) {
        fprintf(out, "\n%-40s %10s %9s %9s %7s%s\n", "DIRECTORY", "TOTAL", "METADATA", "PADDING",
                "IMAGE", cap);
    } else {
        fprintf(out, "\n%-40s %10s %10s %5s %9s %9s %7s%s\n", "FILE", "SIZE", "OFFSET", "ALIGN",
                "METADATA", "PADDING", "IMAGE", cap);
    }
    for (size_t i = 0; i < r->s.n; i++) {
        const space_item *it = &r->s.items[i];
        if (it->is_dir != dirs) {
            continue;
        }
        char name[4200];
        snprintf(name, sizeof name, "%s%s", it->path[0] ? shown(it->path) : "(root)",
                 dirs && it->path[0] ? "/" : "");
        if (dirs) {
            fprintf(out, "%-40s %10" PRIu64 " %9" PRIu64 " %9" PRIu64, name, it->total,
                    it->metadata, it->padding);
            shares(out, r, it->total);
        } else {
            fprintf(out, "%-40s %10" PRIu64 " %10" PRIu64 " %5u %9" PRIu64 " %9" PRIu64, name,
                    it->size, it->offset, it->align, it->metadata, it->padding);
            shares(out, r, it->data + it->metadata + it->padding);
        }
        fputc('\n', out);
    }
}

static void largest(FILE *out, const report *r) {
    size_t n;
    size_t *order = report_files_by_size(r, &n);
    fputs("\nlargest files:\n", out);
    for (size_t i = 0; i < n && i < 10; i++) {
        const space_item *it = &r->s.items[order[i]];
        fprintf(out, "  %2zu. %-40s %10" PRIu64 " %6.1f%%\n", i + 1, shown(it->path), it->size,
                report_share(it->size, r->s.image));
    }
    free(order);
}

static void changes(FILE *out, const report *r) {
    const report_diff *d = &r->diff;
    fprintf(out,
            "\nagainst %s (%" PRIu64 " bytes): %+" PRId64 " bytes; %zu added, %zu removed, %zu "
            "renamed, %zu changed, %zu unchanged; %" PRIu64 " of %" PRIu64
            " erase blocks of %" PRIu64 " bytes differ\n",
            shown(r->base_name), r->base.image, d->delta, d->n_added - d->n_renamed,
            d->n_removed - d->n_renamed, d->n_renamed, d->n_changed, d->unchanged,
            d->blocks_changed, d->blocks, d->erase_block);
    size_t n;
    report_row *rows = report_changes(r, &n);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "  %-8s %-40s %10" PRIu64 " -> %10" PRIu64 " %+10" PRId64 "\n", rows[i].what,
                shown(rows[i].path), rows[i].old_size, rows[i].new_size,
                (int64_t)rows[i].new_size - (int64_t)rows[i].old_size);
        if (rows[i].from != NULL) {
            fprintf(out, "           (from %s)\n", shown(rows[i].from));
        }
    }
    free(rows);
    for (size_t i = 0; i < d->n_dirs; i++) {
        fprintf(out, "  dir      %-40s %10" PRIu64 " -> %10" PRIu64 " %+10" PRId64 "\n",
                d->dirs[i].path[0] ? shown(d->dirs[i].path) : "(root)", d->dirs[i].old_total,
                d->dirs[i].new_total, d->dirs[i].delta);
    }
}

void report_write_text(FILE *out, const report *r) {
    totals(out, r);
    table(out, r, true);
    table(out, r, false);
    largest(out, r);
    if (r->base_name != NULL) {
        changes(out, r);
    }
}

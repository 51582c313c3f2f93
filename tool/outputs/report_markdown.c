/* The report for a pull-request comment: one summary line first, then the
 * changes, largest first, then the details folded away. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/report.h"
#include "outputs/report_model.h"

/* A path in a table cell: '|' and '`' would end the cell or the code. */
static void cell(FILE *out, const char *s) {
    fputc('`', out);
    for (; *s; s++) {
        if (*s == '|') {
            fputs("\\|", out);
        } else if (*s == '`' || (unsigned char)*s < 0x20) {
            fputc('?', out);
        } else {
            fputc(*s, out);
        }
    }
    fputc('`', out);
}

static void summary(FILE *out, const report *r) {
    fputs("**romfs** ", out);
    cell(out, r->name);
    fprintf(out, ": %" PRIu64 " bytes", r->s.image);
    if (r->has_capacity) {
        fprintf(out, ", %.1f%% of %" PRIu64, report_share(r->s.image, r->capacity), r->capacity);
    }
    if (r->base_name != NULL) {
        const report_diff *d = &r->diff;
        fprintf(out, " (%+" PRId64 " bytes against ", d->delta);
        cell(out, r->base_name);
        fprintf(out, "; %zu added, %zu removed, ", d->n_added - d->n_renamed,
                d->n_removed - d->n_renamed);
        if (d->n_renamed) {
            fprintf(out, "%zu renamed, ", d->n_renamed);
        }
        fprintf(out, "%zu changed; %" PRIu64 " of %" PRIu64 " erase blocks change)", d->n_changed,
                d->blocks_changed, d->blocks);
    }
    fputs("\n\n", out);
}

static void changes(FILE *out, const report *r) {
    size_t n;
    report_row *rows = report_changes(r, &n);
    if (n == 0) {
        fputs("No file changed.\n\n", out);
    } else {
        fputs("| change | file | before | after | delta |\n| --- | --- | ---: | ---: | ---: |\n",
              out);
        for (size_t i = 0; i < n; i++) {
            fprintf(out, "| %s | ", rows[i].what);
            if (rows[i].from != NULL) {
                cell(out, rows[i].from);
                fputs(" → ", out);
            }
            cell(out, rows[i].path);
            fprintf(out, " | %" PRIu64 " | %" PRIu64 " | %+" PRId64 " |\n", rows[i].old_size,
                    rows[i].new_size, (int64_t)rows[i].new_size - (int64_t)rows[i].old_size);
        }
        fputc('\n', out);
    }
    free(rows);
}

static void details(FILE *out, const report *r) {
    fprintf(out,
            "<details><summary>Where the bytes go</summary>\n\n"
            "| | bytes | share |\n| --- | ---: | ---: |\n"
            "| data | %" PRIu64 " | %.1f%% |\n| metadata | %" PRIu64 " | %.1f%% |\n"
            "| padding | %" PRIu64 " | %.1f%% |\n",
            r->s.data, report_share(r->s.data, r->s.image), r->s.metadata,
            report_share(r->s.metadata, r->s.image), r->s.padding,
            report_share(r->s.padding, r->s.image));
    if (r->has_capacity) {
        fprintf(out, "| free | %" PRId64 " | %.1f%% of the capacity |\n", report_free_bytes(r),
                report_share(r->capacity > r->s.image ? r->capacity - r->s.image : 0, r->capacity));
    }
    fputs("\n| directory | total | share |\n| --- | ---: | ---: |\n", out);
    for (size_t i = 0; i < r->s.n; i++) {
        const space_item *it = &r->s.items[i];
        if (it->is_dir) {
            fputs("| ", out);
            cell(out, it->path[0] ? it->path : "/");
            fprintf(out, " | %" PRIu64 " | %.1f%% |\n", it->total,
                    report_share(it->total, r->s.image));
        }
    }
    size_t n;
    size_t *order = report_files_by_size(r, &n);
    fputs("\n| largest files | size | share |\n| --- | ---: | ---: |\n", out);
    for (size_t i = 0; i < n && i < 10; i++) {
        const space_item *it = &r->s.items[order[i]];
        fputs("| ", out);
        cell(out, it->path);
        fprintf(out, " | %" PRIu64 " | %.1f%% |\n", it->size, report_share(it->size, r->s.image));
    }
    free(order);
    fputs("\n</details>\n", out);
}

void report_write_markdown(FILE *out, const report *r) {
    summary(out, r);
    if (r->base_name != NULL) {
        changes(out, r);
    }
    details(out, r);
}

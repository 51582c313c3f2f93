/* `romfs report`: where an image's bytes go, against a capacity and a
 * base image, as text, JSON, Markdown or an HTML page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/policy.h"
#include "outputs/report.h"
#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/number.h"

enum { R_OUTPUT, R_FORMAT, R_SIZE, R_BASE, R_ERASE_BLOCK, R_MANIFEST, R_DEFINE, R_TARGET };

const cli_option report_options[] = {
    [R_OUTPUT] = {.shortname = 'o',
                  .longname = "output",
                  .value = "FILE",
                  .help = "write the report to FILE (default: stdout)"},
    [R_FORMAT] = {.longname = "format",
                  .value = "FORMAT",
                  .help = "text, json, markdown or html (default: from -o's extension, else text)"},
    [R_SIZE] = {.longname = "size",
                .value = "SIZE",
                .help = "the capacity (default: the manifest's image.size)"},
    [R_BASE] = {.longname = "base", .value = "OLD", .help = "what changed since the image OLD"},
    [R_ERASE_BLOCK] = {.longname = "erase-block",
                       .value = "SIZE",
                       .help = "count changed blocks of this size against --base (default 4K)"},
    CLI_POLICY_OPTIONS,
    {0},
};

static int choose_format(const cli_args *a, report_format *out) {
    const char *name = cli_value(a, R_FORMAT), *file = cli_value(a, R_OUTPUT);
    if (name == NULL) {
        *out = file != NULL ? report_format_for(file) : REPORT_TEXT;
        return 0;
    }
    int f = report_format_by_name(name);
    if (f < 0) {
        diag_error("--format must be text, json, markdown or html, not '%s'", shown(name));
        return -1;
    }
    *out = (report_format)f;
    return 0;
}

static int sizes(const cli_args *a, const cli_policy *p, bool *has_capacity, uint64_t *capacity,
                 uint64_t *erase_block) {
    const char *size = cli_value(a, R_SIZE), *erase = cli_value(a, R_ERASE_BLOCK), *why = NULL;
    *has_capacity = p->have_manifest && p->m.has_capacity;
    *capacity = *has_capacity ? p->m.capacity : 0;
    *erase_block = 4096;
    if (size != NULL && (why = parse_size(size, capacity)) != NULL) {
        diag_error("--size %s, not '%s'", why, shown(size));
        return -1;
    }
    *has_capacity |= size != NULL;
    if (erase != NULL && (why = parse_size(erase, erase_block)) == NULL &&
        (*erase_block & (*erase_block - 1)) != 0) {
        why = "must be a power of two";
    }
    if (why != NULL) {
        diag_error("--erase-block %s, not '%s'", why, shown(erase));
        return -1;
    }
    return 0;
}

int run_report(const cli_args *a) {
    report_format format;
    bool has_capacity;
    uint64_t capacity, erase_block;
    cli_policy p;
    int status = cli_policy_open(&p, a, R_MANIFEST, R_DEFINE, R_TARGET);
    if (status == 0 && (choose_format(a, &format) != 0 ||
                        sizes(a, &p, &has_capacity, &capacity, &erase_block) != 0)) {
        status = EXIT_USAGE;
    }
    image_file f = {0}, b = {0};
    const char *base = cli_value(a, R_BASE), *file = cli_value(a, R_OUTPUT);
    report r = {0};
    if (status == 0 && (image_file_open(&f, a->operands[0]) != 0 ||
                        (base != NULL && image_file_open(&b, base) != 0) ||
                        report_make(&r, &f, base ? &b : NULL, p.active, has_capacity, capacity,
                                    erase_block) != 0)) {
        status = EXIT_INPUT;
    }
    if (status == 0) {
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);
        if (mem == NULL) {
            xalloc_failed();
        }
        report_write(mem, &r, format);
        fclose(mem);
        if (file != NULL ? atomic_write(file, text, len) != 0
                         : fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
            if (file == NULL) {
                diag_error("cannot write the report to stdout");
            }
            status = EXIT_INPUT;
        }
        free(text);
    }
    report_free(&r);
    image_file_close(&f);
    image_file_close(&b);
    cli_policy_close(&p);
    return status;
}

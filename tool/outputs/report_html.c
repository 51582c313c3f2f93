/* The report as one self-contained page: the style sheet and the script
 * (report_html.css and report_html.js, compiled in) and the JSON report
 * they draw, all inline. Nothing on the page can reach the network: it
 * names no URL, and its Content-Security-Policy allows no fetch of any
 * kind and runs only the script whose hash it names, so that a name in
 * the image that somehow got out of its JSON string still could not run
 * or load anything. The same report gives the same bytes. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "outputs/report.h"
#include "outputs/report_html_assets.h"
#include "util/alloc.h"
#include "util/pathmap.h"
#include "util/sha256.h"

/* JSON as the text of a <script type="application/json">: the HTML parser
 * ends that element at "</script" and treats "<!--" specially, so no '<'
 * may appear. JSON has '<' only inside strings, where \u003c is the same
 * character to JSON.parse. */
static void script_data(FILE *out, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '<') {
            fputs("\\u003c", out);
        } else {
            fputc(s[i], out);
        }
    }
}

static void base64(const uint8_t *p, size_t n, char *out) {
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        v |= i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0;
        v |= i + 2 < n ? p[i + 2] : 0;
        *out++ = digits[v >> 18 & 63];
        *out++ = digits[v >> 12 & 63];
        *out++ = i + 1 < n ? digits[v >> 6 & 63] : '=';
        *out++ = i + 2 < n ? digits[v & 63] : '=';
    }
    *out = '\0';
}

/* What the page needs beyond the JSON report, in the JSON's own order
 * (files and dirs as they come in the image): the directory holding each
 * file and each directory (indices into "dirs"; the root holds itself),
 * because a hostile image's names may hold '/' and its paths may repeat,
 * so that paths alone cannot place an entry; and the base's size of each
 * removed file, which the JSON lists by path only. */
static void page_facts(FILE *out, const report *r) {
    const space *s = &r->s;
    size_t *dir_no = xcalloc(s->n ? s->n : 1, sizeof *dir_no);
    for (size_t i = 0, k = 0; i < s->n; i++) {
        dir_no[i] = s->items[i].is_dir ? k++ : 0;
    }
    for (int dirs = 0; dirs < 2; dirs++) {
        fputs(dirs ? "],\n \"dir_parent\": [" : "{\"file_dir\": [", out);
        bool first = true;
        for (size_t i = 0; i < s->n; i++) {
            if (s->items[i].is_dir == (dirs != 0)) {
                fprintf(out, "%s%zu", first ? "" : ",", dir_no[s->items[i].parent]);
                first = false;
            }
        }
    }
    fputs("],\n \"removed_size\": [", out);
    pathmap old = {0};
    for (size_t i = 0; i < r->base.n; i++) {
        pathmap_add(&old, r->base.items[i].path, &r->base.items[i]);
    }
    for (size_t i = 0; i < r->diff.n_removed; i++) {
        const space_item *was = pathmap_get(&old, r->diff.removed[i]);
        fprintf(out, "%s%" PRIu64, i ? "," : "", was != NULL ? was->size : 0);
    }
    fputs("]}", out);
    pathmap_free(&old);
    free(dir_no);
}

static void json_block(FILE *out, const char *id, const report *r,
                       void (*write)(FILE *, const report *)) {
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL) {
        xalloc_failed();
    }
    write(mem, r);
    fclose(mem);
    fprintf(out, "<script type=\"application/json\" id=\"%s\">", id);
    script_data(out, text, len);
    fputs("</script>\n", out);
    free(text);
}

void report_write_html(FILE *out, const report *r) {
    uint8_t digest[SHA256_SIZE];
    sha256_state *h = sha256_begin();
    sha256_update(h, report_html_js, report_html_js_len);
    sha256_end(h, digest);
    char hash[4 * ((SHA256_SIZE + 2) / 3) + 1];
    base64(digest, SHA256_SIZE, hash);
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'sha256-%s'; base-uri 'none'; "
            "form-action 'none'\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>romfs report</title>\n<style>\n",
            hash);
    fwrite(report_html_css, 1, report_html_css_len, out);
    fputs("</style>\n</head>\n<body>\n"
          "<noscript><p>This page draws its map and tables with a script, which is off. "
          "The report itself is the JSON at the end of the page's source.</p></noscript>\n"
          "<main id=\"page\"></main>\n",
          out);
    json_block(out, "report", r, report_write_json);
    json_block(out, "facts", r, page_facts);
    fputs("<script>", out);
    fwrite(report_html_js, 1, report_html_js_len, out);
    fputs("</script>\n</body>\n</html>\n", out);
}

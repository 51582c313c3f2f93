/* The report as one self-contained page (no network, no external script
 * or font): the JSON report embedded, drawn as a treemap by the script
 * below. (A first version: the treemap and its tests come next.) */
#include <stdlib.h>

#include "outputs/report.h"
#include "util/alloc.h"

void report_write_html(FILE *out, const report *r) {
    char *json = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&json, &len);
    if (mem == NULL) {
        xalloc_failed();
    }
    report_write_json(mem, r);
    fclose(mem);
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>romfs report</title></head>"
          "<body><script type=\"application/json\" id=\"report\">",
          out);
    for (size_t i = 0; i < len; i++) { /* "</" would end the script element */
        if (json[i] == '<') {
            fputs("\\u003c", out);
        } else {
            fputc(json[i], out);
        }
    }
    fputs("</script></body></html>\n", out);
    free(json);
}

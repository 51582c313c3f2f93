#include "util/json.h"

#include "util/utf8.h"

void json_string(FILE *out, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        size_t len = utf8_char_len(p + i, n - i);
        if (len == 0) {
            fputs("\\ufffd", out);
            i++;
        } else if (len > 1) {
            fwrite(p + i, 1, len, out);
            i += len;
        } else {
            unsigned char c = p[i++];
            if (c == '"' || c == '\\') {
                fputc('\\', out);
                fputc(c, out);
            } else if (c < 0x20 || c == 0x7f) {
                fprintf(out, "\\u%04x", c);
            } else {
                fputc(c, out);
            }
        }
    }
    fputc('"', out);
}

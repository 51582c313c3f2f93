#include "util/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

int diag_quiet;

static void vreport(const char *level, const src_pos *pos, const char *fmt, va_list ap) {
    /* One fprintf per line, so lines from parallel builds do not interleave. */
    char msg[8192];
    int n = snprintf(msg, sizeof msg, "romfs: %s", level);
    if (pos != NULL && pos->file != NULL && n >= 0 && (size_t)n < sizeof msg) {
        if (pos->line > 0 && pos->col > 0) {
            n += snprintf(msg + n, sizeof msg - (size_t)n, "%s:%u:%u: ", shown(pos->file),
                          pos->line, pos->col);
        } else if (pos->line > 0) { /* a line-oriented format: no column */
            n += snprintf(msg + n, sizeof msg - (size_t)n, "%s:%u: ", shown(pos->file),
                          pos->line);
        } else {
            n += snprintf(msg + n, sizeof msg - (size_t)n, "%s: ", shown(pos->file));
        }
    }
    if (n >= 0 && (size_t)n < sizeof msg) {
        vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    }
    fprintf(stderr, "%s\n", msg);
}

void diag_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport("error: ", NULL, fmt, ap);
    va_end(ap);
}

void diag_error_at(const src_pos *pos, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport("error: ", pos, fmt, ap);
    va_end(ap);
}

void diag_verror_at(const src_pos *pos, const char *fmt, va_list ap) {
    vreport("error: ", pos, fmt, ap);
}

void diag_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport("warning: ", NULL, fmt, ap);
    va_end(ap);
}

void diag_warn_at(const src_pos *pos, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport("warning: ", pos, fmt, ap);
    va_end(ap);
}

void diag_info(const char *fmt, ...) {
    if (diag_quiet) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vreport("", NULL, fmt, ap);
    va_end(ap);
}

size_t escape_one(const char *s, size_t n, char out[ESCAPE_MAX], size_t *used) {
    const unsigned char *p = (const unsigned char *)s;
    size_t len = utf8_char_len(p, n);
    if (len > 1) {
        memcpy(out, p, len);
        *used = len;
        return len;
    }
    unsigned char c = p[0];
    *used = 1;
    if (len == 1 && c >= 0x20 && c != 0x7f && c != '\\') {
        out[0] = (char)c;
        return 1;
    }
    if (c == '\n' || c == '\t' || c == '\\') {
        out[0] = '\\';
        out[1] = c == '\n' ? 'n' : c == '\t' ? 't' : '\\';
        return 2;
    }
    return (size_t)snprintf(out, ESCAPE_MAX, "\\x%02x", c);
}

const char *shown_n(const char *s, size_t n) {
    enum { SLOTS = 6, SLOT_SIZE = 1200 };
    static char ring[SLOTS][SLOT_SIZE];
    static unsigned next;
    char *out = ring[next++ % SLOTS];
    size_t o = 0, i = 0;
    while (i < n && o + ESCAPE_MAX + 4 < SLOT_SIZE) {
        size_t used;
        o += escape_one(s + i, n - i, out + o, &used);
        i += used;
    }
    if (i < n) {
        memcpy(out + o, "...", 4);
    } else {
        out[o] = '\0';
    }
    return out;
}

const char *shown(const char *s) {
    return shown_n(s, strlen(s));
}

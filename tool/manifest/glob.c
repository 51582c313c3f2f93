/* Both levels use the same greedy matcher with one backtrack point: after
 * a failure, retry from the last star with it taking one more item. That
 * is exact when every other token matches exactly one item (a character
 * inside a part; a part inside a path), and runs in O(pattern * text)
 * time, so no pattern can make matching blow up. */
#include "manifest/glob.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/utf8.h"

struct glob {
    bool anchored; /* the pattern held a '/': match the whole path */
    int nparts;
    char **parts; /* "**" marks a multi-part wildcard */
};

/* The code point at *s (advancing past it); bytes that are not UTF-8
 * stand for themselves, so such names still match literally. */
static unsigned next_char(const char **s) {
    const unsigned char *p = (const unsigned char *)*s;
    size_t len = utf8_char_len(p, strnlen(*s, 4));
    if (len <= 1) {
        *s += 1;
        return p[0];
    }
    unsigned c = p[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        c = (c << 6) | (p[i] & 0x3f);
    }
    *s += len;
    return c;
}

/* Matches the set at *pat (just after '['), leaving *pat after its ']'. */
static bool match_set(const char **pat, unsigned c) {
    const char *p = *pat;
    bool negate = (*p == '!' || *p == '^');
    if (negate) {
        p++;
    }
    bool hit = false;
    bool first = true;
    while (*p != ']' || first) {
        first = false;
        if (*p == '\\' && p[1] != '\0') {
            p++;
        }
        unsigned lo = next_char(&p);
        unsigned hi = lo;
        if (p[0] == '-' && p[1] != ']' && p[1] != '\0') {
            p++;
            if (*p == '\\' && p[1] != '\0') {
                p++;
            }
            hi = next_char(&p);
        }
        if (c >= lo && c <= hi) {
            hit = true;
        }
    }
    *pat = p + 1;
    return hit != negate;
}

/* One non-star token of `pat` against the character at *text. */
static bool match_one(const char **pat, const char **text) {
    unsigned c = next_char(text);
    const char *p = *pat;
    if (*p == '?') {
        *pat = p + 1;
        return true;
    }
    if (*p == '[') {
        *pat = p + 1;
        return match_set(pat, c);
    }
    if (*p == '\\' && p[1] != '\0') {
        p++;
    }
    unsigned want = next_char(&p);
    *pat = p;
    return want == c;
}

static bool match_part(const char *pat, const char *text, size_t text_len) {
    const char *end = text + text_len;
    const char *star_pat = NULL, *star_text = NULL;
    while (text < end || *pat != '\0') {
        if (*pat == '*') {
            while (*pat == '*') {
                pat++;
            }
            star_pat = pat;
            star_text = text;
            continue;
        }
        if (text < end && *pat != '\0') {
            const char *p = pat, *t = text;
            if (match_one(&p, &t) && t <= end) {
                pat = p;
                text = t;
                continue;
            }
        }
        if (star_pat == NULL || star_text >= end) {
            return false;
        }
        next_char(&star_text); /* the star takes one more character */
        pat = star_pat;
        text = star_text;
    }
    return true;
}

bool glob_match_name(const char *pattern, const char *name) {
    return match_part(pattern, name, strlen(name));
}

bool glob_match(const glob *g, const char *path) {
    if (!g->anchored) {
        const char *last = strrchr(path, '/');
        last = last ? last + 1 : path;
        return match_part(g->parts[0], last, strlen(last));
    }
    int pi = 0;
    int star_pi = -1;
    const char *star_text = NULL;
    const char *text = path;
    for (;;) {
        bool text_done = (*text == '\0');
        if (pi < g->nparts && strcmp(g->parts[pi], "**") == 0) {
            star_pi = ++pi;
            star_text = text;
            continue;
        }
        if (text_done && pi == g->nparts) {
            return true;
        }
        if (!text_done && pi < g->nparts) {
            const char *slash = strchr(text, '/');
            size_t len = slash ? (size_t)(slash - text) : strlen(text);
            if (match_part(g->parts[pi], text, len)) {
                pi++;
                text += len + (slash != NULL);
                continue;
            }
        }
        if (star_pi < 0 || *star_text == '\0') {
            return false;
        }
        const char *slash = strchr(star_text, '/'); /* "**" takes one more part */
        star_text = slash ? slash + 1 : star_text + strlen(star_text);
        pi = star_pi;
        text = star_text;
    }
}

static const char *check_part(const char *part) {
    for (const char *p = part; *p != '\0'; p++) {
        if (*p == '\\') {
            if (p[1] == '\0') {
                return "ends in a lone '\\'";
            }
            p++;
        } else if (*p == '[') {
            const char *q = p + 1;
            if (*q == '!' || *q == '^') {
                q++;
            }
            if (*q == ']') {
                q++; /* a leading ']' is a member */
            }
            while (*q != '\0' && *q != ']') {
                q += (*q == '\\' && q[1] != '\0') ? 2 : 1;
            }
            if (*q != ']') {
                return "has a '[' without its ']'";
            }
            p = q;
        }
    }
    return NULL;
}

glob *glob_compile(const char *pattern, const char **why) {
    const char *p = pattern;
    bool rooted = *p == '/'; /* "/name": only at the top, as in .gitignore */
    while (*p == '/') {
        p++;
    }
    size_t len = strlen(p);
    while (len > 0 && p[len - 1] == '/') {
        len--; /* "dir/" names the directory itself */
    }
    if (len == 0) {
        *why = "is empty";
        return NULL;
    }
    glob *g = xcalloc(1, sizeof *g);
    g->anchored = rooted || memchr(p, '/', len) != NULL;
    const char *end = p + len;
    while (p <= end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *stop = slash ? slash : end;
        g->parts = xrealloc(g->parts, (size_t)(g->nparts + 1) * sizeof *g->parts);
        g->parts[g->nparts++] = xstrndup(p, (size_t)(stop - p));
        p = stop + 1;
    }
    for (int i = 0; i < g->nparts; i++) {
        *why = g->parts[i][0] == '\0' ? "has an empty path part" : check_part(g->parts[i]);
        if (*why != NULL) {
            glob_free(g);
            return NULL;
        }
    }
    return g;
}

void glob_free(glob *g) {
    if (g == NULL) {
        return;
    }
    for (int i = 0; i < g->nparts; i++) {
        free(g->parts[i]);
    }
    free(g->parts);
    free(g);
}

#include "util/number.h"

#include <stddef.h>

bool parse_uint(const char *s, uint64_t *out, const char **rest) {
    uint64_t v = 0;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    const char *start = s;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9') {
            d = *s - '0';
        } else if (base == 16 && *s >= 'a' && *s <= 'f') {
            d = *s - 'a' + 10;
        } else if (base == 16 && *s >= 'A' && *s <= 'F') {
            d = *s - 'A' + 10;
        } else {
            break;
        }
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) {
            return false;
        }
        v = v * (uint64_t)base + (uint64_t)d;
    }
    *out = v;
    *rest = s;
    return s > start;
}

const char *parse_size(const char *s, uint64_t *out) {
    static const char form[] = "must be a byte count such as 131072, 0x20000, 128K or 8M";
    uint64_t v;
    const char *rest;
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (!parse_uint(s, &v, &rest)) { /* no digits, or more than 64 bits of them */
        char first = hex ? s[2] : s[0];
        bool digit = (first >= '0' && first <= '9') ||
                     (hex && ((first >= 'a' && first <= 'f') || (first >= 'A' && first <= 'F')));
        return digit ? "is too large (the most is 4096M)" : form;
    }
    unsigned shift = 0;
    if (!hex && (*rest == 'K' || *rest == 'k')) {
        shift = 10;
        rest++;
    } else if (!hex && (*rest == 'M' || *rest == 'm')) {
        shift = 20;
        rest++;
    }
    if (*rest != '\0') {
        return form;
    }
    if (v > (SIZE_LIMIT >> shift)) {
        return "is too large (the most is 4096M)";
    }
    if (v == 0) {
        return "must be more than 0";
    }
    *out = v << shift;
    return 0;
}

const char *parse_align(const char *s, unsigned *out) {
    uint64_t v;
    const char *rest;
    if (!parse_uint(s, &v, &rest) || *rest != '\0' || v == 0 || v > 4096 || (v & (v - 1))) {
        return "must be a power of two from 1 to 4096";
    }
    *out = (unsigned)v;
    return 0;
}

const char *parse_block_size(const char *s, uint64_t *out) {
    const char *why = parse_size(s, out);
    if (why == NULL && (*out & (*out - 1)) != 0) {
        why = "must be a power of two";
    }
    return why;
}

bool parse_hex(const char *s, uint64_t max, uint64_t *out, const char **rest) {
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
    }
    const char *start = s;
    uint64_t v = 0;
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') {
            d = (unsigned)(*s - '0');
        } else if (*s >= 'a' && *s <= 'f') {
            d = (unsigned)(*s - 'a' + 10);
        } else if (*s >= 'A' && *s <= 'F') {
            d = (unsigned)(*s - 'A' + 10);
        } else {
            break;
        }
        if (d > max || v > (max - d) / 16) {
            return false;
        }
        v = v * 16 + d;
    }
    *out = v;
    *rest = s;
    return s > start;
}

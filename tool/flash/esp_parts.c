#include "flash/esp_parts.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/alloc.h"
#include "util/bytes.h"
#include "util/diag.h"

typedef struct {
    const char *name;
    unsigned value;
} keyword;

static const keyword types[] = {{"app", ESP_TYPE_APP}, {"data", ESP_TYPE_DATA}, {NULL, 0}};
/* ESP-IDF's own names (esp_partition_subtype_t); ota_N and tee_N are added
 * by code there, by hand here. */
static const keyword app_subtypes[] = {
    {"factory", 0x00}, {"test", 0x20},   {"ota_0", 0x10},  {"ota_1", 0x11},  {"ota_2", 0x12},
    {"ota_3", 0x13},   {"ota_4", 0x14},  {"ota_5", 0x15},  {"ota_6", 0x16},  {"ota_7", 0x17},
    {"ota_8", 0x18},   {"ota_9", 0x19},  {"ota_10", 0x1a}, {"ota_11", 0x1b}, {"ota_12", 0x1c},
    {"ota_13", 0x1d},  {"ota_14", 0x1e}, {"ota_15", 0x1f}, {"tee_0", 0x30},  {"tee_1", 0x31},
    {NULL, 0},
};
static const keyword data_subtypes[] = {
    {"ota", 0x00},      {"phy", 0x01},    {"nvs", 0x02},       {"coredump", 0x03},
    {"nvs_keys", 0x04}, {"efuse", 0x05},  {"undefined", 0x06}, {"esphttpd", 0x80},
    {"fat", 0x81},      {"spiffs", 0x82}, {"littlefs", 0x83},  {"tee_ota", 0x90},
    {NULL, 0},
};

/* The binary table has 0xC00 bytes for 32-byte entries and the MD5 entry,
 * which gen_esp32part.py does not let fill it. */
enum { MAX_PARTITIONS = 94 };

enum { SUB_OTA = 0x00, SUB_NVS = 0x02, SUB_UNDEFINED = 0x06, SUB_TEE_OTA = 0x90 };

typedef struct {
    const char *what;
    unsigned line;
} where;

static int fail(const where *w, const char *fmt, ...) PRINTF_LIKE(2, 3);

static int fail(const where *w, const char *fmt, ...) {
    src_pos at = {w->what, w->line, 0};
    va_list ap;
    va_start(ap, fmt);
    diag_verror_at(&at, fmt, ap);
    va_end(ap);
    return -1;
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}

/* Python's int(s, 0) for what tables hold: an optional sign, then 0x hex
 * or decimal (no leading zeros), after K and M suffixes are taken off the
 * end, each multiplying by 1024 or 1048576, as gen_esp32part.py's
 * parse_int does. False if `s` is not such a number or is beyond any
 * flash. */
static bool parse_number(const char *s, int64_t *out) {
    size_t len = strlen(s);
    int64_t mult = 1;
    const int64_t limit = (int64_t)1 << 40;
    while (len > 0 && (tolower((unsigned char)s[len - 1]) == 'k' ||
                       tolower((unsigned char)s[len - 1]) == 'm')) {
        mult *= tolower((unsigned char)s[--len]) == 'k' ? 1024 : 1024 * 1024;
        if (mult > limit) {
            return false;
        }
    }
    size_t i = 0;
    /* int() ignores the spaces a suffix leaves: "1 K" is 1024 there too. */
    while (i < len && is_space(s[i])) {
        i++;
    }
    while (len > i && is_space(s[len - 1])) {
        len--;
    }
    bool negative = false;
    if (i < len && (s[i] == '+' || s[i] == '-')) {
        negative = s[i++] == '-';
    }
    int base = 10;
    if (i + 1 < len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        base = 16;
        i += 2;
    } else if (i + 1 < len && s[i] == '0') {
        for (size_t j = i; j < len; j++) {
            if (s[j] != '0') {
                return false; /* 010: Python reads no octal without 0o */
            }
        }
    }
    if (i == len) {
        return false;
    }
    int64_t v = 0;
    for (; i < len; i++) {
        int d = isdigit((unsigned char)s[i]) ? s[i] - '0'
                : base == 16 && isxdigit((unsigned char)s[i])
                    ? tolower((unsigned char)s[i]) - 'a' + 10
                    : -1;
        if (d < 0) {
            return false;
        }
        v = v * base + d;
        if (v > limit) {
            return false;
        }
    }
    if (v > limit / mult) {
        return false;
    }
    *out = (negative ? -v : v) * mult;
    return true;
}

static const char *keyword_list(const keyword *k) {
    static char out[512];
    size_t len = 0;
    out[0] = '\0';
    for (; k && k->name && len < sizeof out; k++) {
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", len ? ", " : "", k->name);
    }
    return out;
}

/* A type or subtype: a number up to 255, or one of `k` (may be NULL) in
 * any case. */
static int parse_code(const where *w, const char *field, const char *s, const keyword *k,
                      unsigned *out) {
    int64_t v;
    if (parse_number(s, &v)) {
        if (v < 0 || v > 0xff) {
            return fail(w, "%s %s is not a number from 0 to 0xff", field, shown(s));
        }
        *out = (unsigned)v;
        return 0;
    }
    for (const keyword *i = k; i && i->name; i++) {
        if (strcasecmp(s, i->name) == 0) {
            *out = i->value;
            return 0;
        }
    }
    if (k == NULL) {
        return fail(w, "%s '%s' is not a number", field, shown(s));
    }
    return fail(w, "%s '%s' is not a number or one of %s", field, shown(s), keyword_list(k));
}

static int parse_subtype(const where *w, unsigned type, const char *s, unsigned *out) {
    if (s[0] == '\0') {
        if (type == ESP_TYPE_APP) {
            return fail(w, "an app partition needs a subtype (factory, ota_0..ota_15 or test)");
        }
        *out = SUB_UNDEFINED;
        return 0;
    }
    const keyword *k = type == ESP_TYPE_APP    ? app_subtypes
                       : type == ESP_TYPE_DATA ? data_subtypes
                                               : NULL;
    return parse_code(w, "subtype", s, k, out);
}

/* The field at `s` up to the next ',' (or `end`), stripped, as a string;
 * *next is after the ','. */
static char *next_field(const char *s, const char *end, const char **next) {
    const char *comma = memchr(s, ',', (size_t)(end - s));
    const char *stop = comma ? comma : end;
    *next = comma ? comma + 1 : end;
    while (s < stop && is_space(*s)) {
        s++;
    }
    while (stop > s && is_space(stop[-1])) {
        stop--;
    }
    return xstrndup(s, (size_t)(stop - s));
}

static int parse_flags(const where *w, const char *flags, esp_partition *p) {
    for (const char *flag = flags, *stop; flag; flag = stop ? stop + 1 : NULL) {
        stop = strchr(flag, ':');
        size_t len = stop ? (size_t)(stop - flag) : strlen(flag);
        if (len == 9 && strncmp(flag, "encrypted", 9) == 0) {
            p->encrypted = true;
        } else if (len == 8 && strncmp(flag, "readonly", 8) == 0) {
            p->readonly = true;
        } else if (len > 0) {
            return fail(w, "unknown flag '%s' (encrypted or readonly)", shown_n(flag, len));
        }
    }
    return 0;
}

static int parse_fields(const where *w, char *const f[6], esp_partition *p, bool *offset_given,
                        int64_t *size) {
    int64_t offset = 0;
    if (f[1][0] == '\0') {
        return fail(w, "the type is empty (app, data or a number)");
    }
    if (parse_code(w, "type", f[1], types, &p->type) != 0) {
        return -1;
    }
    if (p->type == 0x02 || p->type == 0x03) {
        return fail(w, "type %s: bootloader and partition_table entries are not supported",
                    shown(f[1]));
    }
    if (parse_subtype(w, p->type, f[2], &p->subtype) != 0) {
        return -1;
    }
    *offset_given = f[3][0] != '\0';
    if (*offset_given && (!parse_number(f[3], &offset) || offset < 0)) {
        return fail(w, "offset '%s' is not a number (decimal or 0x hex, with K or M)", shown(f[3]));
    }
    p->offset = (uint64_t)offset;
    if (f[4][0] == '\0') {
        return fail(w, "the size is empty");
    }
    if (!parse_number(f[4], size)) {
        return fail(w, "size '%s' is not a number (decimal or 0x hex, with K or M)", shown(f[4]));
    }
    return parse_flags(w, f[5], p);
}

static int parse_line(const where *w, const char *s, const char *end, esp_partition *p,
                      bool *offset_given, int64_t *size) {
    char *f[6];
    for (int i = 0; i < 6; i++) {
        f[i] = next_field(s, end, &s); /* missing trailing fields come back empty */
    }
    *p = (esp_partition){.line = w->line};
    int rc = parse_fields(w, f, p, offset_given, size);
    if (rc == 0) {
        p->name = f[0];
        f[0] = NULL;
    }
    for (int i = 0; i < 6; i++) {
        free(f[i]);
    }
    return rc;
}

static uint64_t offset_align(unsigned type) {
    return type == ESP_TYPE_APP ? 0x10000 : 0x1000;
}

/* What gen_esp32part.py's verify() checks of a whole table. */
static int verify(const char *what, const esp_table *t) {
    const esp_partition *ota = NULL, *tee_ota = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const esp_partition *p = &t->v[i];
        where w = {what, p->line};
        if (p->offset % offset_align(p->type) != 0) {
            return fail(&w, "partition '%s' at 0x%" PRIx64 " is not aligned to 0x%" PRIx64,
                        shown(p->name), p->offset, offset_align(p->type));
        }
        if (p->type == ESP_TYPE_APP && p->size % 0x1000 != 0) {
            return fail(&w, "app partition '%s' is 0x%" PRIx64 " bytes, not a multiple of 0x1000",
                        shown(p->name), p->size);
        }
        if (p->offset + p->size > ((uint64_t)1 << 32)) {
            return fail(&w, "partition '%s' (0x%" PRIx64 " bytes at 0x%" PRIx64 ") runs past 4 GiB",
                        shown(p->name), p->size, p->offset);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(t->v[j].name, p->name) == 0) {
                return fail(&w, "partition name '%s' is already taken by line %u", shown(p->name),
                            t->v[j].line);
            }
        }
        if (p->type == ESP_TYPE_DATA && (p->subtype == SUB_OTA || p->subtype == SUB_TEE_OTA)) {
            const esp_partition **seen = p->subtype == SUB_OTA ? &ota : &tee_ota;
            if (*seen != NULL) {
                return fail(&w, "a second %sotadata partition (the first is on line %u)",
                            p->subtype == SUB_OTA ? "" : "TEE ", (*seen)->line);
            }
            if (p->size != 0x2000) {
                return fail(&w, "%sotadata partition '%s' must be 0x2000 bytes, not 0x%" PRIx64,
                            p->subtype == SUB_OTA ? "" : "TEE ", shown(p->name), p->size);
            }
            *seen = p;
        }
        if (p->type == ESP_TYPE_DATA && p->subtype == SUB_NVS && p->size < 0x3000 && !p->readonly) {
            return fail(&w,
                        "nvs partition '%s' of 0x%" PRIx64
                        " bytes must be flagged readonly (read-write nvs needs 0x3000)",
                        shown(p->name), p->size);
        }
    }
    return 0;
}

int esp_table_parse(const char *what, const char *text, size_t len, uint64_t table_offset,
                    esp_table *out) {
    *out = (esp_table){0};
    const char *s = text, *end = text + len;
    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        s += 3; /* ESP-IDF reads the CSV as utf-8-sig */
    }
    uint64_t last_end = table_offset + ESP_TABLE_SIZE;
    where w = {what, 0};
    int rc = 0;
    while (s < end && rc == 0) {
        const char *eol = s;
        while (eol < end && *eol != '\n' && *eol != '\r') {
            eol++;
        }
        w.line++;
        const char *a = s, *b = eol;
        s = eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n' ? eol + 2
            : eol < end                                                  ? eol + 1
                                                                         : end;
        while (a < b && is_space(*a)) {
            a++;
        }
        while (b > a && is_space(b[-1])) {
            b--;
        }
        if (a == b || *a == '#') {
            continue;
        }
        if (out->n == MAX_PARTITIONS) {
            rc = fail(&w, "more than %d partitions, which is all an ESP-IDF table holds",
                      MAX_PARTITIONS);
            break;
        }
        esp_partition p;
        bool offset_given;
        int64_t size;
        if (parse_line(&w, a, b, &p, &offset_given, &size) != 0) {
            rc = -1;
            break;
        }
        /* gen_esp32part.py's from_csv: place what has no offset, in order. */
        if (offset_given && p.offset < last_end) {
            rc = out->n == 0 ? fail(&w,
                                    "partition '%s' at 0x%" PRIx64
                                    " overlaps the partition table at 0x%" PRIx64
                                    " (the first free offset is 0x%" PRIx64 ")",
                                    shown(p.name), p.offset, table_offset, last_end)
                             : fail(&w,
                                    "partition '%s' at 0x%" PRIx64
                                    " overlaps the previous partition, which ends at 0x%" PRIx64,
                                    shown(p.name), p.offset, last_end);
        } else {
            if (!offset_given) {
                uint64_t a_to = offset_align(p.type);
                p.offset = (last_end + a_to - 1) / a_to * a_to;
            }
            if (size < 0) {
                size = -size - (int64_t)p.offset; /* a negative size names the end */
            }
            if (size < 0) {
                rc = fail(&w, "partition '%s' would end before it starts at 0x%" PRIx64,
                          shown(p.name), p.offset);
            }
        }
        if (rc != 0) {
            free(p.name);
            break;
        }
        p.size = (uint64_t)size;
        last_end = p.offset + p.size;
        VEC_RESERVE(out->v, out->n, out->cap);
        out->v[out->n++] = p;
    }
    if (rc == 0) {
        rc = verify(what, out);
    }
    if (rc != 0) {
        esp_table_free(out);
    }
    return rc;
}

const esp_partition *esp_table_find(const esp_table *t, const char *name) {
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].name, name) == 0) {
            return &t->v[i];
        }
    }
    return NULL;
}

/* "nvs (line 4), factory (line 6)": all partitions or the ROMFS ones, for
 * a message. */
static char *list_of(const esp_table *t, bool romfs_only) {
    bytebuf b = {0};
    for (size_t i = 0; i < t->n; i++) {
        const esp_partition *p = &t->v[i];
        if (romfs_only && !(p->type == ESP_TYPE_DATA && p->subtype == ESP_SUBTYPE_ROMFS)) {
            continue;
        }
        char line[24];
        snprintf(line, sizeof line, " (line %u)", p->line);
        buf_add_str(&b, b.len ? ", " : "");
        buf_add_str(&b, shown(p->name));
        buf_add_str(&b, line);
    }
    buf_add(&b, "", 1);
    return (char *)b.p;
}

int esp_table_romfs(const char *what, const esp_table *t, const char *name,
                    const esp_partition **out) {
    if (name != NULL) {
        *out = esp_table_find(t, name);
        if (*out == NULL) {
            char *all = list_of(t, false);
            diag_error("%s: no partition named '%s' (it has %s)", what, shown(name),
                       t->n ? all : "no partitions");
            free(all);
            return -1;
        }
        return 0;
    }
    const esp_partition *found = NULL;
    size_t count = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->v[i].type == ESP_TYPE_DATA && t->v[i].subtype == ESP_SUBTYPE_ROMFS) {
            found = found ? found : &t->v[i];
            count++;
        }
    }
    if (count == 1) {
        *out = found;
        return 0;
    }
    char *list = list_of(t, count > 1);
    if (count == 0) {
        diag_error("%s: no ROMFS partition (type data, subtype 0x8f) among %s", what,
                   t->n ? list : "no partitions");
    } else {
        diag_error("%s: %zu ROMFS partitions (type data, subtype 0x8f): %s; name the one to use",
                   what, count, list);
    }
    free(list);
    return -1;
}

void esp_table_free(esp_table *t) {
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].name);
    }
    free(t->v);
    *t = (esp_table){0};
}

/* Loads a manifest in two passes. The first (yaml_input.c) reads
 * libyaml's events only and turns away a file whose values, aliases or
 * nesting would cost too much before anything is built for it. The second
 * loads the document, where aliases are references to one node, never
 * copies; the walk below only descends the fixed shape of the schema and
 * counts the nodes it visits through aliases, so it cannot be made to work
 * without bound either. */
#include "manifest/manifest.h"
#include "manifest/limits.h"
#include "manifest/settings.h"
#include "manifest/yaml_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/alloc.h"
#include "util/path.h"
#include "util/number.h"
#include "util/utf8.h"

typedef struct {
    manifest *m;
    yaml_document_t doc;
    const defines *defs;
    unsigned long visits;
    size_t expanded_bytes;
    size_t patterns, pattern_bytes;
} loader;

static const char *const top_keys[] = {"version", "image", "rules", "files", "budgets", NULL};
static const char *const image_keys[] = {
    "size",      "align",   "target", "mpy",       "mpy_cross", "default_excludes",
    "partition", "warn_at", "mpy_abi", "mpy_args", "march",     NULL};
static const char *const partition_keys[] = {"address", "size", "erase_block", NULL};
static const char *const budget_keys[] = {"match", "max", NULL};
static const char *const rule_keys[] = {"match", "align", "mpy", "exclude", NULL};
static const char *const entry_keys[] = {"src", "dst", "exclude", "align", "mpy", NULL};

static src_pos pos_of(const loader *L, const yaml_node_t *n) {
    src_pos p = {L->m->path, (unsigned)n->start_mark.line + 1, (unsigned)n->start_mark.column + 1};
    return p;
}

#define FAIL_AT(L, node, ...)                                                                      \
    do {                                                                                           \
        src_pos p_ = pos_of((L), (node));                                                          \
        diag_error_at(&p_, __VA_ARGS__);                                                           \
        return -1;                                                                                 \
    } while (0)

static yaml_node_t *node(loader *L, int id) {
    return yaml_document_get_node(&L->doc, id);
}

static int visit(loader *L, yaml_node_t *n) {
    if (++L->visits > MAX_NODE_VISITS) {
        FAIL_AT(L, n, "manifest refers to more than %d values through its aliases",
                MAX_NODE_VISITS);
    }
    return 0;
}

static const char *kind_name(const yaml_node_t *n) {
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return "a string";
    }
}

static bool is_null(const yaml_node_t *n) {
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return false;
    }
    const char *v = (const char *)n->data.scalar.value;
    return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
           !strcmp(v, "NULL");
}

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32) {
        return 99;
    }
    size_t row[33];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Checks that `key` is one of `known` and not seen before in this mapping;
 * suggests the nearest known key for a typo. */
static int check_key(loader *L, yaml_node_t *map, yaml_node_pair_t *pair, const char *where,
                     const char *const *known) {
    yaml_node_t *k = node(L, pair->key);
    if (k->type != YAML_SCALAR_NODE) {
        FAIL_AT(L, k, "keys in %s must be plain names, not %s", where, kind_name(k));
    }
    const char *key = (const char *)k->data.scalar.value;
    if (strlen(key) != k->data.scalar.length) {
        FAIL_AT(L, k, "a key in %s contains a NUL byte", where);
    }
    const char *near = NULL;
    size_t best = 3;
    bool found = false;
    for (const char *const *kk = known; *kk; kk++) {
        if (!strcmp(key, *kk)) {
            found = true;
            break;
        }
        size_t d = edit_distance(key, *kk);
        if (d < best && d < strlen(*kk)) {
            best = d;
            near = *kk;
        }
    }
    if (!found) {
        char list[256] = "";
        for (const char *const *kk = known; *kk; kk++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", *kk);
        }
        if (near) {
            FAIL_AT(L, k, "unknown key '%s' in %s (did you mean '%s'?)", shown(key), where, near);
        }
        FAIL_AT(L, k, "unknown key '%s' in %s (known keys: %s)", shown(key), where, list);
    }
    for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pair; q++) {
        yaml_node_t *qk = node(L, q->key);
        if (qk->type == YAML_SCALAR_NODE && !strcmp((const char *)qk->data.scalar.value, key)) {
            FAIL_AT(L, k, "duplicate key '%s' in %s", key, where);
        }
    }
    return 0;
}

static int get_string(loader *L, yaml_node_t *n, const char *what, const char **out) {
    if (visit(L, n) != 0) {
        return -1;
    }
    if (n->type != YAML_SCALAR_NODE || is_null(n)) {
        FAIL_AT(L, n, "%s must be a string, not %s", what,
                n->type == YAML_SCALAR_NODE ? "empty" : kind_name(n));
    }
    const char *v = (const char *)n->data.scalar.value;
    if (strlen(v) != n->data.scalar.length) {
        FAIL_AT(L, n, "%s contains a NUL byte", what);
    }
    if (n->data.scalar.length > MAX_STRING) {
        FAIL_AT(L, n, "%s is %zu bytes long; the limit is %d", what, n->data.scalar.length,
                MAX_STRING);
    }
    *out = v;
    return 0;
}

/* A plain scalar, for numbers and booleans: "1" in quotes is a string. */
static int get_plain(loader *L, yaml_node_t *n, const char *what, const char *expect,
                     const char **out) {
    if (visit(L, n) != 0) {
        return -1;
    }
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        is_null(n)) {
        FAIL_AT(L, n, "%s must be %s, not %s", what, expect,
                n->type != YAML_SCALAR_NODE ? kind_name(n)
                : is_null(n)                ? "empty"
                                            : "a quoted string");
    }
    *out = (const char *)n->data.scalar.value;
    return 0;
}

static int get_align(loader *L, yaml_node_t *n, const char *what, unsigned *out) {
    const char *s;
    if (get_plain(L, n, what, "a power of two from 1 to 4096", &s) != 0) {
        return -1;
    }
    const char *why = parse_align(s, out);
    if (why != NULL) {
        FAIL_AT(L, n, "%s %s, not '%s'", what, why, shown(s));
    }
    return 0;
}

/* 1 for true, 0 for false, -1 for anything else (YAML 1.2 core spellings). */
static int bool_word(const char *s) {
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        return 1;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        return 0;
    }
    return -1;
}

static int get_bool(loader *L, yaml_node_t *n, const char *what, int *out) {
    const char *s;
    if (get_plain(L, n, what, "true or false", &s) != 0) {
        return -1;
    }
    if ((*out = bool_word(s)) < 0) {
        FAIL_AT(L, n, "%s must be true or false, not '%s'", what, shown(s));
    }
    return 0;
}

static int get_mpy(loader *L, yaml_node_t *n, const char *what, int *out) {
    const char *s;
    if (get_plain(L, n, what, "true, false or auto", &s) != 0) {
        return -1;
    }
    int b = bool_word(s);
    if (b < 0 && strcmp(s, "auto") != 0) {
        FAIL_AT(L, n, "%s must be true, false or auto, not '%s'", what, shown(s));
    }
    *out = b < 0 ? MPY_AUTO : b ? MPY_ON : MPY_OFF;
    return 0;
}

/* Expands ${NAME} (and $$ to $) in the string value of `n`. */
static int get_expanded(loader *L, yaml_node_t *n, const char *what, char **out) {
    const char *s;
    if (get_string(L, n, what, &s) != 0) {
        return -1;
    }
    size_t cap = strlen(s) + 1, len = 0;
    char *r = xmalloc(cap);
    for (const char *p = s; *p;) {
        const char *piece = p;
        size_t piece_len = 1;
        if (p[0] == '$' && p[1] == '$') {
            p += 2;
        } else if (p[0] == '$' && p[1] == '{') {
            const char *name = p + 2;
            const char *close = strchr(name, '}');
            size_t nlen = close ? (size_t)(close - name) : 0;
            bool ok = close && defines_is_name(name, nlen);
            src_pos at = pos_of(L, n);
            at.col += (unsigned)(p - s) + (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE);
            if (!ok) {
                free(r);
                diag_error_at(&at,
                              "%s has a malformed variable reference (write ${NAME}, or $$ for $)",
                              what);
                return -1;
            }
            piece = defines_get(L->defs, name, nlen);
            if (piece == NULL) {
                free(r);
                diag_error_at(&at, "unknown variable ${%.*s} in %s (define it with -D %.*s=VALUE)",
                              (int)nlen, name, what, (int)nlen, name);
                return -1;
            }
            piece_len = strlen(piece);
            p = close + 1;
        } else {
            p++;
        }
        if (len + piece_len + 1 > cap) {
            cap = (len + piece_len + 1) * 2;
            r = xrealloc(r, cap);
        }
        memcpy(r + len, piece, piece_len);
        len += piece_len;
    }
    r[len] = '\0';
    if (len > MAX_STRING) {
        free(r);
        FAIL_AT(L, n, "%s is %zu bytes long after expanding variables; the limit is %d", what, len,
                MAX_STRING);
    }
    L->expanded_bytes += len;
    if (L->expanded_bytes > MAX_EXPANDED_BYTES) {
        free(r);
        FAIL_AT(L, n, "manifest expands to more than %d MiB of strings through its aliases",
                MAX_EXPANDED_BYTES >> 20);
    }
    *out = r;
    return 0;
}

static int get_glob(loader *L, yaml_node_t *n, const char *what, char **pattern, glob **g) {
    if (get_expanded(L, n, what, pattern) != 0) {
        return -1;
    }
    L->pattern_bytes += strlen(*pattern);
    if (++L->patterns > MAX_PATTERNS) {
        FAIL_AT(L, n, "manifest has more than %d glob patterns (rules and excludes, each alias "
                      "counted); every file packed is matched against each",
                MAX_PATTERNS);
    }
    if (L->pattern_bytes > MAX_PATTERN_BYTES) {
        FAIL_AT(L, n, "manifest has more than %d KiB of glob patterns (rules and excludes, each "
                      "alias counted); every file packed is matched against each",
                MAX_PATTERN_BYTES >> 10);
    }
    const char *why;
    *g = glob_compile(*pattern, &why);
    if (*g == NULL) {
        FAIL_AT(L, n, "%s '%s' %s", what, shown(*pattern), why);
    }
    return 0;
}

static bool key_is(loader *L, yaml_node_pair_t *pair, const char *name) {
    return !strcmp((const char *)node(L, pair->key)->data.scalar.value, name);
}

/* The settings keys shared by rules and entries: align, mpy. */
static int get_setting(loader *L, yaml_node_pair_t *pair, const char *where, settings *s) {
    yaml_node_t *v = node(L, pair->value);
    char what[64];
    snprintf(what, sizeof what, "%s.%s", where,
             (const char *)node(L, pair->key)->data.scalar.value);
    if (key_is(L, pair, "align")) {
        return get_align(L, v, what, &s->align);
    }
    return get_mpy(L, v, what, &s->mpy);
}

static settings unset(void) {
    settings s = {0, MPY_UNSET, -1};
    return s;
}

/* A byte count as image.size takes it; `what` names the key. */
static int get_size(loader *L, yaml_node_t *v, const char *what, uint64_t *out) {
    const char *s;
    if (get_plain(L, v, what, "a byte count such as 128K", &s) != 0) {
        return -1;
    }
    const char *why = parse_size(s, out);
    if (why != NULL) {
        FAIL_AT(L, v, "%s %s, not '%s'", what, why, shown(s));
    }
    return 0;
}

static int load_partition(loader *L, yaml_node_t *map) {
    partition_spec *p = &L->m->partition;
    p->pos = pos_of(L, map);
    if (map->type != YAML_MAPPING_NODE) {
        FAIL_AT(L, map, "image.partition must be a mapping with address, size and erase_block, "
                        "not %s",
                kind_name(map));
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        if (check_key(L, map, pair, "image.partition", partition_keys) != 0) {
            return -1;
        }
        yaml_node_t *v = node(L, pair->value);
        if (key_is(L, pair, "address")) {
            const char *s, *rest;
            if (get_plain(L, v, "image.partition.address", "an address such as 0x08100000", &s) !=
                0) {
                return -1;
            }
            if (!parse_uint(s, &p->address, &rest) || *rest != '\0' || p->address > UINT32_MAX) {
                FAIL_AT(L, v, "image.partition.address must be an address such as 0x08100000 "
                              "(32 bits), not '%s'",
                        shown(s));
            }
            p->has_address = true;
        } else if (key_is(L, pair, "size")) {
            if (get_size(L, v, "image.partition.size", &p->size) != 0) {
                return -1;
            }
            p->has_size = true;
        } else if (get_size(L, v, "image.partition.erase_block", &p->erase_block) != 0) {
            return -1;
        } else if ((p->erase_block & (p->erase_block - 1)) != 0) {
            FAIL_AT(L, v, "image.partition.erase_block must be a power of two, not %llu",
                    (unsigned long long)p->erase_block);
        }
    }
    return 0;
}

/* "90%": a share of the capacity, more than 0 and at most 100. */
static int get_share(loader *L, yaml_node_t *v, const char *what, double *out) {
    const char *s;
    if (get_plain(L, v, what, "a share such as 90%", &s) != 0) {
        return -1;
    }
    char *end;
    double d = strtod(s, &end);
    if (end == s || strcmp(end, "%") != 0 || !(d > 0 && d <= 100)) {
        FAIL_AT(L, v, "%s must be a share of the capacity such as 90%%, not '%s'", what,
                shown(s));
    }
    *out = d / 100;
    return 0;
}

static size_t list_length(const yaml_node_t *seq) {
    return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

/* Item `it` of a list whose items are mappings, visited and checked:
 * `what` says what it must be ("each rule must be a mapping with ..."). */
static int mapping_item(loader *L, yaml_node_item_t it, const char *what, yaml_node_t **out) {
    yaml_node_t *map = node(L, it);
    if (visit(L, map) != 0) {
        return -1;
    }
    if (map->type != YAML_MAPPING_NODE) {
        FAIL_AT(L, map, "%s, not %s", what, kind_name(map));
    }
    *out = map;
    return 0;
}

static int load_budgets(loader *L, yaml_node_t *seq) {
    manifest *m = L->m;
    if (is_null(seq)) {
        return 0;
    }
    if (seq->type != YAML_SEQUENCE_NODE) {
        FAIL_AT(L, seq, "budgets must be a list of {match, max}, not %s", kind_name(seq));
    }
    m->budgets = xcalloc(list_length(seq), sizeof *m->budgets);
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *map;
        if (mapping_item(L, *it, "each budget must be a mapping with 'match' and 'max'", &map) !=
            0) {
            return -1;
        }
        budget *b = &m->budgets[m->n_budgets++];
        b->pos = pos_of(L, map);
        bool has_max = false;
        for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
             pair < map->data.mapping.pairs.top; pair++) {
            if (check_key(L, map, pair, "a budget", budget_keys) != 0) {
                return -1;
            }
            yaml_node_t *v = node(L, pair->value);
            int rc;
            if (key_is(L, pair, "match")) {
                rc = get_glob(L, v, "budget match", &b->pattern, &b->glob);
            } else {
                rc = get_size(L, v, "budget max", &b->max);
                has_max = true;
            }
            if (rc != 0) {
                return -1;
            }
        }
        if (b->glob == NULL || !has_max) {
            FAIL_AT(L, map, "a budget needs 'match' (a glob) and 'max' (a size)");
        }
    }
    return 0;
}

static int load_image(loader *L, yaml_node_t *map) {
    manifest *m = L->m;
    if (is_null(map)) {
        return 0;
    }
    if (map->type != YAML_MAPPING_NODE) {
        FAIL_AT(L, map, "image must be a mapping of settings, not %s", kind_name(map));
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        if (check_key(L, map, pair, "image", image_keys) != 0) {
            return -1;
        }
        yaml_node_t *v = node(L, pair->value);
        if (key_is(L, pair, "size")) {
            if (get_size(L, v, "image.size", &m->capacity) != 0) {
                return -1;
            }
            m->has_capacity = true;
            m->capacity_pos = pos_of(L, v);
        } else if (key_is(L, pair, "partition")) {
            if (load_partition(L, v) != 0) {
                return -1;
            }
        } else if (key_is(L, pair, "warn_at")) {
            if (get_share(L, v, "image.warn_at", &m->warn_at) != 0) {
                return -1;
            }
            m->has_warn_at = true;
            m->warn_at_pos = pos_of(L, v);
        } else if (key_is(L, pair, "mpy_abi")) {
            const char *s, *why;
            if (get_string(L, v, "image.mpy_abi", &s) != 0) {
                return -1;
            }
            if ((why = mpy_abi_parse(s, &m->mpy_abi)) != NULL) {
                FAIL_AT(L, v, "image.mpy_abi %s, not '%s'", why, shown(s));
            }
            m->has_mpy_abi = true;
            m->mpy_abi_text = xstrdup(s);
            m->mpy_abi_pos = pos_of(L, v);
        } else if (key_is(L, pair, "mpy_args")) {
            if (get_expanded(L, v, "image.mpy_args", &m->mpy_args) != 0) {
                return -1;
            }
        } else if (key_is(L, pair, "march")) {
            const char *s;
            if (get_string(L, v, "image.march", &s) != 0) {
                return -1;
            }
            if (mpy_arch_by_name(s) < 0) {
                FAIL_AT(L, v, "image.march must be one of %s, not '%s'", mpy_arch_names,
                        shown(s));
            }
            m->march = xstrdup(s);
        } else if (key_is(L, pair, "target")) {
            const char *s;
            if (get_string(L, v, "image.target", &s) != 0) {
                return -1;
            }
            if (manifest_target(s, &m->target) != 0) {
                FAIL_AT(L, v, "unknown image.target '%s' (known targets: %s)", shown(s),
                        MANIFEST_TARGETS);
            }
        } else if (key_is(L, pair, "default_excludes")) {
            int on;
            if (get_bool(L, v, "image.default_excludes", &on) != 0) {
                return -1;
            }
            m->default_excludes = on;
        } else if (key_is(L, pair, "mpy_cross")) {
            if (get_expanded(L, v, "image.mpy_cross", &m->mpy_cross) != 0) {
                return -1;
            }
            m->mpy_cross_pos = pos_of(L, v);
        } else if (get_setting(L, pair, "image", &m->image) != 0) {
            return -1;
        }
    }
    return 0;
}

static int load_rules(loader *L, yaml_node_t *seq) {
    manifest *m = L->m;
    if (is_null(seq)) {
        return 0;
    }
    if (seq->type != YAML_SEQUENCE_NODE) {
        FAIL_AT(L, seq, "rules must be a list, not %s", kind_name(seq));
    }
    m->rules = xcalloc(list_length(seq), sizeof *m->rules);
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *map;
        if (mapping_item(L, *it, "each rule must be a mapping with 'match'", &map) != 0) {
            return -1;
        }
        rule *r = &m->rules[m->n_rules++];
        r->set = unset();
        r->pos = pos_of(L, map);
        for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
             pair < map->data.mapping.pairs.top; pair++) {
            if (check_key(L, map, pair, "a rule", rule_keys) != 0) {
                return -1;
            }
            yaml_node_t *v = node(L, pair->value);
            int rc;
            if (key_is(L, pair, "match")) {
                rc = get_glob(L, v, "rule match", &r->pattern, &r->glob);
            } else if (key_is(L, pair, "exclude")) {
                rc = get_bool(L, v, "rule.exclude", &r->set.exclude);
            } else {
                rc = get_setting(L, pair, "rule", &r->set);
            }
            if (rc != 0) {
                return -1;
            }
        }
        if (r->glob == NULL) {
            FAIL_AT(L, map, "rule has no 'match' (the glob it applies to)");
        }
    }
    return 0;
}

/* exclude in an entry: true/false, one glob, or a list of globs. */
static int load_entry_exclude(loader *L, yaml_node_t *v, file_entry *e) {
    if (v->type == YAML_SCALAR_NODE && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        bool_word((const char *)v->data.scalar.value) >= 0) {
        return get_bool(L, v, "exclude", &e->set.exclude);
    }
    yaml_node_item_t one = 0;
    yaml_node_item_t *items = &one, *top = &one + 1;
    if (v->type == YAML_SEQUENCE_NODE) {
        items = v->data.sequence.items.start;
        top = v->data.sequence.items.top;
    } else if (v->type == YAML_SCALAR_NODE) {
        one = (yaml_node_item_t)(v - L->doc.nodes.start) + 1;
    } else {
        FAIL_AT(L, v, "exclude must be true, false, or a list of globs, not %s", kind_name(v));
    }
    size_t n = (size_t)(top - items);
    e->exclude = xcalloc(n, sizeof *e->exclude);
    e->exclude_globs = xcalloc(n, sizeof *e->exclude_globs);
    e->exclude_pos = xcalloc(n, sizeof *e->exclude_pos);
    for (yaml_node_item_t *it = items; it < top; it++) {
        yaml_node_t *g = node(L, *it);
        size_t i = e->n_exclude++;
        e->exclude_pos[i] = pos_of(L, g);
        if (get_glob(L, g, "exclude pattern", &e->exclude[i], &e->exclude_globs[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int load_entry(loader *L, yaml_node_t *map, file_entry *e) {
    e->set = unset();
    e->pos = pos_of(L, map);
    if (map->type == YAML_SCALAR_NODE && !is_null(map)) { /* "- path" is short for "- src: path" */
        e->src_pos = e->pos;
        return get_expanded(L, map, "src", &e->src);
    }
    if (map->type != YAML_MAPPING_NODE) {
        FAIL_AT(L, map, "each entry in files must be a mapping with 'src', not %s",
                is_null(map) ? "empty" : kind_name(map));
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        if (check_key(L, map, pair, "a files entry", entry_keys) != 0) {
            return -1;
        }
        yaml_node_t *v = node(L, pair->value);
        int rc;
        if (key_is(L, pair, "src")) {
            e->src_pos = pos_of(L, v);
            rc = get_expanded(L, v, "src", &e->src);
        } else if (key_is(L, pair, "dst")) {
            e->dst_pos = pos_of(L, v);
            if (is_null(v)) { /* "" and "." name the root; an empty `dst:` is null */
                FAIL_AT(L, v, "dst needs a value (write \".\" for the root)");
            }
            rc = get_expanded(L, v, "dst", &e->dst);
        } else if (key_is(L, pair, "exclude")) {
            rc = load_entry_exclude(L, v, e);
        } else {
            rc = get_setting(L, pair, "entry", &e->set);
        }
        if (rc != 0) {
            return -1;
        }
    }
    if (e->src == NULL) {
        FAIL_AT(L, map, "entry has no 'src' (the file or directory to pack)");
    }
    return 0;
}

static int load_files(loader *L, yaml_node_t *seq) {
    manifest *m = L->m;
    if (seq->type != YAML_SEQUENCE_NODE) {
        FAIL_AT(L, seq, "files must be a list of entries, not %s",
                is_null(seq) ? "empty" : kind_name(seq));
    }
    m->files = xcalloc(list_length(seq), sizeof *m->files);
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *e = node(L, *it);
        if (visit(L, e) != 0 || load_entry(L, e, &m->files[m->n_files++]) != 0) {
            return -1;
        }
    }
    return 0;
}

static int load_root(loader *L) {
    yaml_node_t *root = yaml_document_get_root_node(&L->doc);
    if (root == NULL || is_null(root)) {
        src_pos p = {L->m->path, 1, 1};
        diag_error_at(&p, "manifest is empty (it needs 'version: 1' and 'files')");
        return -1;
    }
    if (root->type != YAML_MAPPING_NODE) {
        FAIL_AT(L, root, "manifest must be a mapping with 'version' and 'files', not %s",
                kind_name(root));
    }
    yaml_node_pair_t *start = root->data.mapping.pairs.start, *top = root->data.mapping.pairs.top;
    /* The version first: a manifest of another version is judged by its own
     * schema, not reported for keys this one does not know. */
    yaml_node_t *version = NULL, *files = NULL;
    for (yaml_node_pair_t *pair = start; pair < top; pair++) {
        yaml_node_t *k = node(L, pair->key);
        if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, "version")) {
            version = node(L, pair->value);
        }
    }
    if (version == NULL) {
        FAIL_AT(L, root, "manifest has no 'version' (write 'version: 1')");
    }
    const char *v;
    if (version->type != YAML_SCALAR_NODE) {
        FAIL_AT(L, version, "version must be the number 1, not %s", kind_name(version));
    }
    if (strcmp((const char *)version->data.scalar.value, "1") != 0) {
        FAIL_AT(L, version, "unsupported manifest version '%s' (this romfs reads version 1)",
                shown((const char *)version->data.scalar.value));
    }
    if (get_plain(L, version, "version", "the number 1", &v) != 0) {
        return -1;
    }
    for (yaml_node_pair_t *pair = start; pair < top; pair++) {
        if (check_key(L, root, pair, "the manifest", top_keys) != 0) {
            return -1;
        }
        yaml_node_t *val = node(L, pair->value);
        int rc = 0;
        if (key_is(L, pair, "image")) {
            rc = load_image(L, val);
        } else if (key_is(L, pair, "rules")) {
            rc = load_rules(L, val);
        } else if (key_is(L, pair, "budgets")) {
            rc = load_budgets(L, val);
        } else if (key_is(L, pair, "files")) {
            files = val;
            rc = load_files(L, val);
        }
        if (rc != 0) {
            return -1;
        }
    }
    if (files == NULL) {
        FAIL_AT(L, root, "manifest has no 'files' (the list of what goes into the image)");
    }
    manifest *m = L->m;
    if (m->partition.has_size && !m->has_capacity) {
        m->has_capacity = true; /* the partition is the capacity */
        m->capacity = m->partition.size;
        m->capacity_pos = m->partition.pos;
    } else if (m->partition.has_size && m->capacity != m->partition.size) {
        diag_error_at(&m->partition.pos,
                      "image.partition.size (%llu bytes) and image.size (%llu bytes) differ; "
                      "give one",
                      (unsigned long long)m->partition.size, (unsigned long long)m->capacity);
        return -1;
    }
    return 0;
}

int manifest_parse(const char *path, const char *text, size_t len, const defines *defs,
                   manifest *m) {
    memset(m, 0, sizeof *m);
    m->path = xstrdup(path);
    m->dir = path_dirname_abs(path);
    m->image.align = 4;
    m->image.mpy = MPY_OFF;
    m->image.exclude = -1;
    m->default_excludes = true;
    loader L = {.m = m, .defs = defs};
    if (yaml_prescan(m->path, text, len) != 0) {
        return -1;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int rc;
    if (!yaml_parser_load(&parser, &L.doc)) {
        rc = yaml_report_error(m->path, &parser, text, len);
    } else {
        rc = load_root(&L);
        yaml_document_delete(&L.doc);
        /* A second document in the stream is a mistake worth naming. */
        yaml_document_t extra;
        if (rc == 0 && yaml_parser_load(&parser, &extra)) {
            if (yaml_document_get_root_node(&extra) != NULL) {
                src_pos p = {m->path, (unsigned)extra.start_mark.line + 1,
                             (unsigned)extra.start_mark.column + 1};
                diag_error_at(&p, "manifest holds more than one YAML document");
                rc = -1;
            }
            yaml_document_delete(&extra);
        } else if (rc == 0) {
            rc = yaml_report_error(m->path, &parser, text, len);
        }
    }
    yaml_parser_delete(&parser);
    return rc;
}

int manifest_load(const char *path, const defines *defs, manifest *m) {
    size_t len;
    char *text = manifest_read_text(path, &len);
    if (text == NULL) {
        memset(m, 0, sizeof *m);
        return -1;
    }
    int rc = manifest_parse(path, text, len, defs, m);
    free(text);
    return rc;
}

static void free_entry(file_entry *e) {
    free(e->src);
    free(e->dst);
    for (size_t i = 0; i < e->n_exclude; i++) {
        free(e->exclude[i]);
        glob_free(e->exclude_globs[i]);
    }
    free(e->exclude);
    free(e->exclude_globs);
    free(e->exclude_pos);
}

void manifest_free(manifest *m) {
    for (size_t i = 0; i < m->n_budgets; i++) {
        free(m->budgets[i].pattern);
        glob_free(m->budgets[i].glob);
    }
    free(m->budgets);
    free(m->mpy_args);
    free(m->march);
    free(m->mpy_abi_text);
    for (size_t i = 0; i < m->n_rules; i++) {
        free(m->rules[i].pattern);
        glob_free(m->rules[i].glob);
    }
    free(m->rules);
    for (size_t i = 0; i < m->n_files; i++) {
        free_entry(&m->files[i]);
    }
    free(m->files);
    free(m->mpy_cross);
    free(m->path);
    free(m->dir);
    memset(m, 0, sizeof *m);
}

#include "manifest/settings.h"

#include <stdio.h>
#include <string.h>

#include "manifest/glob.h"
#include "util/path.h"

static void apply(settings *s, const settings *layer) {
    if (layer->align) {
        s->align = layer->align;
    }
    if (layer->mpy != MPY_UNSET) {
        s->mpy = layer->mpy;
    }
    if (layer->exclude >= 0) {
        s->exclude = layer->exclude;
    }
}

int manifest_target(const char *name, int *target) {
    if (!strcmp(name, "n6")) {
        *target = TARGET_N6;
        return 0;
    }
    return -1;
}

unsigned manifest_model_align(const char *path, int target) {
    if (!path_has_suffix(path, strlen(path), ".tflite")) {
        return 0;
    }
    return target == TARGET_N6 ? 32 : 16;
}

settings manifest_settings_for(const manifest *m, const file_entry *entry, const char *path) {
    settings s = m->image;
    /* The built-in beats image.align, which is the default for everything
     * else (manifests/README.md). */
    unsigned model = manifest_model_align(path, m->target);
    if (model != 0) {
        s.align = model;
    }
    for (size_t i = 0; i < m->n_rules; i++) {
        if (glob_match(m->rules[i].glob, path)) {
            apply(&s, &m->rules[i].set);
        }
    }
    if (entry != NULL) {
        apply(&s, &entry->set);
    }
    return s;
}

/* The list is the text --help and the reference show, read here, so the
 * two cannot differ: ", "-separated, a trailing '/' for directories only. */
bool default_excluded(const char *name, bool is_dir) {
    const char *p = DEFAULT_EXCLUDES_TEXT;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char pattern[32];
        bool dirs_only = p[len - 1] == '/';
        snprintf(pattern, sizeof pattern, "%.*s", (int)(len - dirs_only), p);
        if ((is_dir || !dirs_only) && glob_match_name(pattern, name)) {
            return true;
        }
        p += len;
        while (*p == ',' || *p == ' ') {
            p++;
        }
    }
    return false;
}

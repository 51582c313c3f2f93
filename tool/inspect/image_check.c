#include "inspect/image_check.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "inspect/image_walk.h"
#include "util/pathmap.h"
#include "util/utf8.h"

enum { MAX_FAULT_LINES = 100 };
#define NO_OFFSET SIZE_MAX

typedef struct {
    const image_file *f;
    const check_opts *o;
    check_result *r;
} checker;

static void fault(checker *c, size_t offset, const char *path, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

static void fault(checker *c, size_t offset, const char *path, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char at[32] = "";
    if (offset != NO_OFFSET) {
        snprintf(at, sizeof at, "offset 0x%zx: ", offset);
    }
    char *line;
    if (path != NULL && path[0] != '\0') {
        line = xasprintf("%s: %s%s: %s", shown(c->f->shown), at, shown(path), msg);
    } else {
        line = xasprintf("%s: %s%s", shown(c->f->shown), at, msg);
    }
    if (c->r->faults++ == 0) {
        snprintf(c->r->first, sizeof c->r->first, "%s", line);
    }
    if (!c->o->quiet && c->r->faults <= MAX_FAULT_LINES) {
        diag_error("%s", line);
    }
    free(line);
}

size_t offset_alignment(size_t offset) {
    size_t a = 1;
    while (a < ((size_t)1 << 30) && offset % (a * 2) == 0) {
        a *= 2;
    }
    return a;
}

static void report_unseen(void *ctx, const char *path) {
    checker *c = ctx;
    fault(c, NO_OFFSET, path, "missing: the %s would put it in the image", c->o->align->rules);
}

static const char *name_fault(const romfs_entry *e, bool control_ok) {
    const char *n = (const char *)e->name;
    if (e->name_len == 0) {
        return "empty name";
    }
    if (memchr(n, '/', e->name_len) != NULL) {
        return "name contains '/'";
    }
    if (memchr(n, '\0', e->name_len) != NULL) {
        return "name contains a NUL byte";
    }
    if ((e->name_len == 1 && n[0] == '.') || (e->name_len == 2 && n[0] == '.' && n[1] == '.')) {
        return "name is '.' or '..'";
    }
    if (!utf8_valid(n, e->name_len)) {
        return "name is not valid UTF-8";
    }
    for (size_t i = 0; !control_ok && i < e->name_len; i++) {
        if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f) {
            return "name contains a control character (terminal escapes, forged lines)";
        }
    }
    return NULL;
}

/* Names seen in each directory, to report duplicates (a reader finds only
 * the first). Keyed by where the directory's records start and the name,
 * not by the full path, so that memory stays linear in the image even for
 * deep nesting. The map owns its keys. */
static bool seen_before(pathmap *seen, const image_walk *w, const romfs_entry *e) {
    char *key =
        xasprintf("%zx/%.*s", w->dir_offset[w->depth - 1], (int)e->name_len, (const char *)e->name);
    if (pathmap_add(seen, key, key)) {
        return false;
    }
    free(key);
    return true;
}

static void forget_all(pathmap *seen) {
    for (size_t i = 0; i < seen->n_slots; i++) {
        free(seen->slots[i].value);
    }
    pathmap_free(seen);
}

size_t image_check(const image_file *f, const check_opts *o, check_result *r) {
    memset(r, 0, sizeof *r);
    r->max_align = 1;
    checker c = {f, o, r};
    if (f->img.size % 2 != 0) {
        fault(&c, 0, NULL, "image size %zu is odd; MicroPython needs an even-sized image",
              f->img.size);
    }
    image_walk w;
    image_walk_begin(&w, &f->img);
    pathmap seen = {0};
    romfs_entry e;
    size_t depth;
    int rc;
    while ((rc = image_walk_next(&w, &e, &depth)) == 1) {
        const char *why = name_fault(&e, o->control_names);
        if (why != NULL) {
            fault(&c, e.record_offset, w.path, "%s", why);
        } else if (seen_before(&seen, &w, &e)) {
            fault(&c, e.record_offset, w.path,
                  "duplicate name in its directory; readers see only the first");
        }
        bool is_dir = e.type == ROMFS_TYPE_DIR;
        r->dirs += is_dir;
        r->files += !is_dir;
        if (o->align == NULL) {
            continue;
        }
        bool expected = true;
        unsigned need = o->align->need(o->align, w.path, w.path_len, is_dir, &expected);
        if (!expected) {
            fault(&c, e.record_offset, w.path, "%s is not in the image the %s would build",
                  is_dir ? "directory" : "file", o->align->rules);
            continue;
        }
        size_t offset = (size_t)(e.data - f->bytes);
        if (is_dir) {
            continue;
        }
        if (need > r->max_align) {
            r->max_align = need;
        }
        if (offset % need != 0) {
            fault(&c, offset, w.path,
                  "data at offset %zu is %zu-byte aligned, but it needs %u-byte alignment%s",
                  offset, offset_alignment(offset), need, o->align->why);
        }
    }
    if (rc < 0) {
        fault(&c, w.fault_offset, w.path, "%s", w.fault);
    } else if (o->align != NULL && o->align->unseen != NULL) {
        o->align->unseen(o->align, report_unseen, &c);
    }
    if (r->faults > MAX_FAULT_LINES && !o->quiet) {
        diag_error("%s: %zu more faults not shown", shown(f->shown), r->faults - MAX_FAULT_LINES);
    }
    forget_all(&seen);
    image_walk_end(&w);
    return r->faults;
}

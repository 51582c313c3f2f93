#include "pack/checks.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/mpy_header.h"
#include "util/alloc.h"
#include "util/diag.h"
#include "util/io.h"
#include "util/path.h"

/* Whether the budget covers `path`: it matches, or a directory above it does. */
static bool covers(const budget *b, const char *path) {
    if (glob_match(b->glob, path)) {
        return true;
    }
    char *up = xstrdup(path);
    bool hit = false;
    for (char *slash = strrchr(up, '/'); slash != NULL && !hit; slash = strrchr(up, '/')) {
        *slash = '\0';
        hit = glob_match(b->glob, up);
    }
    free(up);
    return hit;
}

int check_budgets(const manifest *m, const collection *c) {
    for (size_t i = 0; i < m->n_budgets; i++) {
        const budget *b = &m->budgets[i];
        uint64_t total = 0;
        size_t files = 0;
        for (size_t k = 0; k < c->n_srcs; k++) {
            const node *n = c->srcs[k]->node;
            if (covers(b, n->path)) {
                total += n->size;
                files++;
            }
        }
        if (total > b->max) {
            diag_error_at(&b->pos,
                          "budget '%s' (max %" PRIu64 " bytes): its %zu file%s hold %" PRIu64
                          " bytes, %" PRIu64 " over",
                          shown(b->pattern), b->max, files, files == 1 ? "" : "s", total,
                          total - b->max);
            return -1;
        }
    }
    return 0;
}

static int read_header(const char *path, uint8_t head[MPY_HEADER_LEN]) {
    int fd = open_regular(path);
    if (fd < 0) {
        return -1;
    }
    ssize_t got = read_full(fd, head, MPY_HEADER_LEN);
    close(fd);
    return got == MPY_HEADER_LEN ? 0 : -1;
}

int check_mpy_abi(const manifest *m, const collection *c, const mpy_compiler *mpy) {
    if (!m->has_mpy_abi) {
        return 0;
    }
    for (size_t k = 0; k < c->n_srcs; k++) {
        const source *s = c->srcs[k];
        const node *n = s->node;
        if (!path_has_suffix(n->path, strlen(n->path), ".mpy")) {
            continue;
        }
        uint8_t head[MPY_HEADER_LEN];
        mpy_header h;
        char made[600];
        if (s->py_host != NULL) {
            snprintf(made, sizeof made, "compiled from %s by %s", shown(n->from.shown),
                     mpy->path ? shown(mpy->path) : "mpy-cross");
        } else {
            snprintf(made, sizeof made, "from %s", shown(n->from.shown));
        }
        if (read_header(s->host, head) != 0 || !mpy_header_parse(head, sizeof head, &h)) {
            diag_error_at(&m->mpy_abi_pos, "%s (%s) is not a .mpy file: it has no .mpy header",
                          shown(n->path), made);
            return -1;
        }
        const char *why;
        if (!mpy_abi_accepts(&m->mpy_abi, &h, &why)) {
            char has[64];
            mpy_header_describe(&h, has, sizeof has);
            diag_error_at(&m->mpy_abi_pos,
                          "%s (%s) is .mpy %s, but image.mpy_abi is %s (the %s differs); "
                          "compile it with the firmware's mpy-cross",
                          shown(n->path), made, has, shown(m->mpy_abi_text), why);
            return -1;
        }
    }
    return 0;
}

void check_warn_at(const manifest *m, const layout *lay, const char *image) {
    if (!m->has_warn_at || !m->has_capacity) {
        return;
    }
    double share = (double)lay->size / (double)m->capacity;
    if (share > m->warn_at && lay->size <= m->capacity) {
        diag_warn_at(&m->warn_at_pos,
                     "%s: %" PRIu64 " of %" PRIu64 " bytes, %.1f%% of the capacity: past "
                     "image.warn_at (%.1f%%)",
                     shown(image), lay->size, m->capacity, 100 * share, 100 * m->warn_at);
    }
}

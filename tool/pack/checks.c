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

typedef struct {
    uint64_t bytes;
    size_t files;
} subtree;

/* Each node's cumulative data and file count, by node id: children are
 * summed before their parent on an explicit stack, so depth costs no
 * C stack. */
static subtree *subtree_sums(const tree *t) {
    subtree *sum = xcalloc(t->n_nodes ? t->n_nodes : 1, sizeof *sum);
    typedef struct {
        const node *n;
        size_t next;
    } frame;
    frame *stack = xcalloc(t->n_nodes ? t->n_nodes : 1, sizeof *stack);
    size_t depth = 0;
    stack[depth++] = (frame){t->root, 0};
    while (depth > 0) {
        frame *f = &stack[depth - 1];
        if (f->n->is_dir && f->next < f->n->n_kids) {
            stack[depth++] = (frame){f->n->kids[f->next++], 0};
            continue;
        }
        subtree *own = &sum[f->n->id];
        if (!f->n->is_dir) {
            *own = (subtree){f->n->size, 1};
        }
        depth--;
        if (depth > 0) {
            subtree *up = &sum[stack[depth - 1].n->id];
            up->bytes += own->bytes;
            up->files += own->files;
        }
    }
    free(stack);
    return sum;
}

/* What a budget holds: every file it matches, and every file under a
 * directory it matches, once. Nodes below a match are not visited, so a
 * budget costs at most one match per node. */
static subtree budget_total(const budget *b, const tree *t, const subtree *sum) {
    subtree total = {0, 0};
    const node **todo = xcalloc(t->n_nodes ? t->n_nodes : 1, sizeof *todo);
    size_t n = 0;
    for (size_t i = 0; i < t->root->n_kids; i++) {
        todo[n++] = t->root->kids[i];
    }
    while (n > 0) {
        const node *x = todo[--n];
        if (glob_match(b->glob, x->path)) {
            total.bytes += sum[x->id].bytes;
            total.files += sum[x->id].files;
        } else if (x->is_dir) {
            for (size_t i = 0; i < x->n_kids; i++) {
                todo[n++] = x->kids[i];
            }
        }
    }
    free(todo);
    return total;
}

int check_budgets(const manifest *m, const collection *c) {
    if (m->n_budgets == 0) {
        return 0;
    }
    subtree *sum = subtree_sums(&c->t);
    int rc = 0;
    for (size_t i = 0; i < m->n_budgets; i++) {
        const budget *b = &m->budgets[i];
        subtree total = budget_total(b, &c->t, sum);
        if (total.bytes > b->max) {
            diag_error_at(&b->pos,
                          "budget '%s' (max %" PRIu64 " bytes): its %zu %s %" PRIu64
                          " bytes, %" PRIu64 " over",
                          shown(b->pattern), b->max, total.files,
                          total.files == 1 ? "file holds" : "files hold",
                          total.bytes, total.bytes - b->max);
            rc = -1; /* every budget over is named, not just the first */
        }
    }
    free(sum);
    return rc;
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

enum { MAX_MPY_FAULT_LINES = 100 };

int check_mpy_abi(const manifest *m, const collection *c, const mpy_compiler *mpy) {
    if (!m->has_mpy_abi) {
        return 0;
    }
    size_t faults = 0;
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
        const char *why;
        bool parsed = read_header(s->host, head) == 0 && mpy_header_parse(head, sizeof head, &h);
        if (parsed && mpy_abi_accepts(&m->mpy_abi, &h, &why)) {
            continue;
        }
        if (++faults > MAX_MPY_FAULT_LINES) {
            continue;
        }
        if (!parsed) {
            diag_error_at(&m->mpy_abi_pos, "%s (%s) is not a .mpy file: it has no .mpy header",
                          shown(n->path), made);
        } else {
            char has[64];
            mpy_header_describe(&h, has, sizeof has);
            diag_error_at(&m->mpy_abi_pos,
                          "%s (%s) is .mpy %s, but image.mpy_abi is %s (the %s differs); "
                          "compile it with the firmware's mpy-cross",
                          shown(n->path), made, has, shown(m->mpy_abi_text), why);
        }
    }
    if (faults > MAX_MPY_FAULT_LINES) {
        diag_error_at(&m->mpy_abi_pos, "%zu more .mpy files do not match image.mpy_abi",
                      faults - MAX_MPY_FAULT_LINES);
    }
    return faults ? -1 : 0;
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

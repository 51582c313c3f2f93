#include "pack/source.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

void collection_init(collection *c) {
    memset(c, 0, sizeof *c);
    tree_init(&c->t);
}

source *collection_add(collection *c, node *n) {
    source *s = xcalloc(1, sizeof *s);
    s->node = n;
    n->content = s;
    VEC_RESERVE(c->srcs, c->n_srcs, c->cap_srcs);
    c->srcs[c->n_srcs++] = s;
    return s;
}

void collection_free(collection *c) {
    for (size_t i = 0; i < c->n_srcs; i++) {
        free(c->srcs[i]->host);
        free(c->srcs[i]->py_host);
        free(c->srcs[i]->py_name);
        free(c->srcs[i]);
    }
    free(c->srcs);
    strlist_free(&c->deps);
    tree_free(&c->t);
    memset(c, 0, sizeof *c);
}

#include "format/tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

node *tree_find(const tree *t, const char *path) {
    return pathmap_get(&t->by_path, path);
}

static node *new_node(tree *t, node *parent, const char *path, bool is_dir, const origin *from) {
    node *n = xcalloc(1, sizeof *n);
    n->id = t->n_nodes;
    n->path = xstrdup(path);
    const char *slash = strrchr(n->path, '/');
    n->name = slash ? slash + 1 : n->path;
    n->name_len = strlen(n->name);
    n->is_dir = is_dir;
    n->from.at = from->at;
    n->from.shown = xstrdup(from->shown);
    pathmap_add(&t->by_path, n->path, n);
    VEC_RESERVE(t->all, t->n_nodes, t->cap_nodes);
    t->all[t->n_nodes++] = n;
    if (parent != NULL) {
        VEC_RESERVE(parent->kids, parent->n_kids, parent->cap_kids);
        parent->kids[parent->n_kids++] = n;
    }
    if (is_dir) {
        t->n_dirs++;
    } else {
        t->n_files++;
    }
    return n;
}

void tree_init(tree *t) {
    memset(t, 0, sizeof *t);
    origin none = {{NULL, 0, 0}, ""};
    t->root = new_node(t, NULL, "", true, &none);
    t->n_dirs = 0; /* the root is not counted as a directory of the image */
}

/* Both sides of a conflict, with where the earlier one came from. */
static void conflict(const node *old, const char *path, bool new_is_dir, const origin *from) {
    const src_pos *at = from->at.file ? &from->at : NULL;
    char where[64] = "";
    if (old->from.at.line != 0) {
        snprintf(where, sizeof where, " (entry at line %u)", old->from.at.line);
    }
    if (old->is_dir == new_is_dir) {
        diag_error_at(at, "'%s' is packed twice: from %s and from %s%s", shown(path),
                      shown(from->shown), shown(old->from.shown), where);
    } else {
        const char *old_kind = old->is_dir ? "directory" : "file";
        diag_error_at(at, "'%s' would be both a %s (from %s) and a %s (from %s%s)", shown(path),
                      new_is_dir ? "directory" : "file", shown(from->shown), old_kind,
                      shown(old->from.shown), where);
    }
}

/* The directory that is to hold `path`, made with its parents as needed;
 * NULL after a conflict. */
static node *parent_dir(tree *t, const char *path, const origin *from) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        return t->root;
    }
    char *up = xstrndup(path, (size_t)(slash - path));
    node *parent = tree_mkdir(t, up, from);
    free(up);
    return parent;
}

node *tree_mkdir(tree *t, const char *path, const origin *from) {
    if (path[0] == '\0') {
        return t->root;
    }
    node *n = tree_find(t, path);
    if (n != NULL) {
        if (!n->is_dir) {
            conflict(n, path, true, from);
            return NULL;
        }
        return n;
    }
    node *parent = parent_dir(t, path, from);
    return parent ? new_node(t, parent, path, true, from) : NULL;
}

node *tree_add_file(tree *t, const char *path, const origin *from) {
    node *n = tree_find(t, path);
    if (n != NULL) {
        conflict(n, path, false, from);
        return NULL;
    }
    node *parent = parent_dir(t, path, from);
    return parent ? new_node(t, parent, path, false, from) : NULL;
}

static int by_name(const void *a, const void *b) {
    const node *x = *(node *const *)a, *y = *(node *const *)b;
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    int c = memcmp(x->name, y->name, n);
    if (c != 0) {
        return c;
    }
    return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

void tree_sort(tree *t) {
    for (size_t i = 0; i < t->n_nodes; i++) {
        node *n = t->all[i];
        if (n->is_dir && n->n_kids > 1) {
            qsort(n->kids, n->n_kids, sizeof *n->kids, by_name);
        }
    }
}

void tree_free(tree *t) {
    for (size_t i = 0; i < t->n_nodes; i++) {
        node *n = t->all[i];
        free(n->path);
        free(n->from.shown);
        free(n->kids);
        free(n);
    }
    pathmap_free(&t->by_path);
    free(t->all);
    memset(t, 0, sizeof *t);
}

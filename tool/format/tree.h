/* The image as a tree of directories and files, built before anything is
 * written, so that conflicts are found and the layout can be computed in
 * full first. It knows what the image holds, not where it came from: each
 * file carries an opaque `content` that only the layer filling the tree
 * (pack/) understands, and an origin that names it in messages. */
#ifndef ROMFS_FORMAT_TREE_H
#define ROMFS_FORMAT_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"
#include "util/pathmap.h"

/* Where a node came from, to name both sides of a conflict. */
typedef struct {
    src_pos at;  /* the manifest entry; no file for pack-dir */
    char *shown; /* the source path as the user wrote it */
} origin;

typedef struct node node;
struct node {
    size_t id;        /* index in tree.all: placements are kept by it */
    char *path;       /* inside the image; "" is the root */
    const char *name; /* the last part of path */
    size_t name_len;
    bool is_dir;
    origin from;
    /* A directory: its entries, sorted by name once the tree is complete. */
    node **kids;
    size_t n_kids, cap_kids;
    /* A file: the bytes of data it holds, the alignment they need, and
     * what the layer that made the node reads them from. */
    uint64_t size;
    unsigned align;
    void *content;
};

typedef struct {
    node *root;
    pathmap by_path;
    node **all; /* every node, the root first, in the order they were made */
    size_t n_nodes, cap_nodes, n_files, n_dirs;
} tree;

void tree_init(tree *t);
/* A directory at `path`, made with its parents as needed. NULL (with the
 * error printed) when a file already holds one of those paths. */
node *tree_mkdir(tree *t, const char *path, const origin *from);
/* A new file at `path`; NULL (with the error printed) when the path is
 * taken. The node's file fields are the caller's to fill in. */
node *tree_add_file(tree *t, const char *path, const origin *from);
node *tree_find(const tree *t, const char *path);
/* Sorts every directory's entries by name, bytewise. */
void tree_sort(tree *t);
void tree_free(tree *t);

#endif

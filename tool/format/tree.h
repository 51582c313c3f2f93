/* The image as a tree of directories and files, built from the manifest
 * before anything is written, so that conflicts are found and the layout
 * can be computed in full first. */
#ifndef ROMFS_TREE_H
#define ROMFS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/file_stat.h"
#include "manifest/manifest.h"
#include "util/pathmap.h"

/* Where a node came from, to name both sides of a conflict. */
typedef struct {
    const file_entry *entry; /* NULL without a manifest (pack-dir) */
    char *shown;             /* the source path as the user wrote it */
} origin;

typedef struct node node;
struct node {
    char *path;       /* inside the image; "" is the root */
    const char *name; /* the last part of path */
    size_t name_len;
    bool is_dir;
    origin from;
    /* A directory: its entries, sorted by name once the tree is complete. */
    node **kids;
    size_t n_kids, cap_kids;
    /* A file. */
    char *host;    /* the path to read it from */
    uint64_t size; /* bytes of data in the image */
    unsigned align;
    int mpy;
    file_stat st;
    /* A .py compiled to .mpy: its source, and its path in the image as a
     * .py, which mpy-cross records (-s) in place of a host path. The node's
     * host is then the compiled file in the cache. */
    char *py_host;
    char *py_name;
    file_stat py_st;
    uint8_t py_hash[16];
    /* Filled in by the layout. */
    uint64_t len;       /* the record's payload length */
    uint8_t width;      /* bytes given to that length's varuint */
    uint64_t pad;       /* a file: padding before its data record */
    uint8_t data_width; /* a file: bytes given to the data length's varuint */
    uint64_t data_offset;
    /* Filled in as the data is copied: the XXH3-128 of those bytes. */
    uint8_t hash[16];
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

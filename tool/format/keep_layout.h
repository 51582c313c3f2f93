/* The block-keeping layout: an image laid out so that an edit moves as
 * few bytes as possible against a base image (`romfs build --base OLD`),
 * and a flash delta of the changed erase blocks stays a few blocks.
 *
 *   d2 cd 31 | root length (5 bytes) | the tree | filler | padding record | data area
 *
 * The tree holds every directory and file record, compactly, at the front;
 * each file's record points with an indirect record (kind 3: size and
 * offset into the filesystem payload, both as 5-byte varuints so the tree's
 * size does not depend on where data lands) into the data area, which is
 * the payload of one padding record that readers skip. The data area
 * starts on an erase block boundary with room left for the tree to grow.
 *
 * Against a base, every file whose bytes the base holds (same content,
 * found by path or by content hash) at an offset inside this image's data
 * area, aligned as the file needs, stays where it is; a changed file is
 * rewritten in place when it still fits there; the rest go into the first
 * hole of the data area that fits them aligned (largest first), else after
 * the end. Identical files share one copy. With a capacity, each file
 * placed after the end leaves growth room behind it, a share of its size
 * (at most an eighth) that spends at most half of the capacity still
 * free, so that a file that grows a little is rewritten in place instead
 * of moving whole; without one the image stays compact. A new file goes
 * into no file's room (the eighth of its size behind each file) unless
 * the capacity leaves it nowhere else. A base whose files overlap is not
 * kept. Past 1024 files rewritten in place or put in holes, the rest go
 * after the end, which bounds the time a base of many changes costs. Bytes of the data area that no
 * file uses keep the base's bytes (the writer's sink is asked for them),
 * so blocks that hold nothing new are written identically. The result is
 * a function of the tree, the file contents and the base. */
#ifndef ROMFS_FORMAT_KEEP_LAYOUT_H
#define ROMFS_FORMAT_KEEP_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "format/layout.h"
#include "format/tree.h"
#include "util/hash.h"

/* One file of the base image: where its data is (absolute) and its hash. */
typedef struct {
    const char *path;
    uint64_t offset, size;
    uint8_t hash[HASH_SIZE];
} keep_extent;

typedef struct {
    uint64_t size;       /* the base image's bytes; 0: no base */
    uint64_t data_start; /* its data area, if it is a block-keeping image; else 0 */
    keep_extent *files;
    size_t n_files;
} keep_base;

/* How a block-keeping layout came about, for the build's summary. */
typedef struct {
    size_t kept, rewritten_in_place, placed, shared;
    bool fresh;       /* the data area was placed anew */
    const char *why;  /* when fresh with a base: why the base's could not be kept */
    uint64_t data_bytes, free_bytes; /* of the data area: used by files, unused */
} keep_stats;

/* The content hash of file node `n` (its bytes are not read here). */
typedef const uint8_t *(*content_hash_fn)(const node *n);

/* Lays out `t` (sorted) against `base` (size 0: none). `erase_block` is a
 * power of two; `capacity` the most the image may take (0: no limit, and
 * no growth room). Fills `out` with `out->keep` set. */
void layout_keep(const tree *t, const keep_base *base, content_hash_fn hash_of,
                 uint64_t erase_block, uint64_t capacity, layout *out, keep_stats *stats);

/* Bytes before the filesystem payload in a block-keeping image. */
enum { KEEP_PAYLOAD_START = 3 + 5, KEEP_VARUINT = 5 };

#endif

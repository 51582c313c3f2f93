/* A hash table from path strings to pointers. Keys are borrowed: the
 * caller keeps each key alive as long as the map. */
#ifndef ROMFS_PATHMAP_H
#define ROMFS_PATHMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *key;
    void *value;
} pathmap_slot;

typedef struct {
    pathmap_slot *slots;
    size_t n_slots, n;
} pathmap;

void *pathmap_get(const pathmap *m, const char *key);
/* Adds key -> value; false (and no change) when the key is present. */
bool pathmap_add(pathmap *m, const char *key, void *value);
void pathmap_free(pathmap *m);

#endif

#include "util/pathmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "util/alloc.h"

static size_t find(const pathmap *m, const char *key) {
    size_t mask = m->n_slots - 1;
    size_t i = (size_t)XXH3_64bits(key, strlen(key)) & mask;
    while (m->slots[i].key != NULL && strcmp(m->slots[i].key, key) != 0) {
        i = (i + 1) & mask;
    }
    return i;
}

void *pathmap_get(const pathmap *m, const char *key) {
    return m->n_slots ? m->slots[find(m, key)].value : NULL;
}

bool pathmap_add(pathmap *m, const char *key, void *value) {
    if ((m->n + 1) * 2 > m->n_slots) {
        pathmap old = *m;
        m->n_slots = old.n_slots ? old.n_slots * 2 : 64;
        m->slots = xcalloc(m->n_slots, sizeof *m->slots);
        for (size_t i = 0; i < old.n_slots; i++) {
            if (old.slots[i].key != NULL) {
                m->slots[find(m, old.slots[i].key)] = old.slots[i];
            }
        }
        free(old.slots);
    }
    size_t i = find(m, key);
    if (m->slots[i].key != NULL) {
        return false;
    }
    m->slots[i].key = key;
    m->slots[i].value = value;
    m->n++;
    return true;
}

void pathmap_free(pathmap *m) {
    free(m->slots);
    memset(m, 0, sizeof *m);
}

#include "pack/image_key.h"

#include "format/writer.h"
#include "util/version.h"

typedef struct {
    image_sink sink;
    hasher h;
} key_sink;

static int key_bytes(image_sink *sink, const void *p, size_t n) {
    hasher_update(&((key_sink *)sink)->h, p, n);
    return 0;
}

static int key_file(image_sink *sink, const node *n, uint64_t offset) {
    key_sink *k = (key_sink *)sink;
    hasher_u64(&k->h, offset);
    hasher_u64(&k->h, n->size);
    hasher_update(&k->h, source_of(n)->hash, HASH_SIZE);
    return 0;
}

/* Bytes kept from the base: the base's hash, in the key, stands for them. */
static int key_gap(image_sink *sink, uint64_t offset, uint64_t n) {
    key_sink *k = (key_sink *)sink;
    hasher_u64(&k->h, offset);
    hasher_u64(&k->h, n);
    return 0;
}

void image_key(const collection *c, const layout *lay, const uint8_t self[HASH_SIZE],
               const uint8_t *base, uint8_t out[HASH_SIZE]) {
    key_sink k = {{key_bytes, key_file, key_gap}, {0}};
    hasher_init(&k.h);
    hasher_str(&k.h, "romfs image key 2 " ROMFS_VERSION);
    hasher_update(&k.h, self, HASH_SIZE);
    if (base != NULL) {
        hasher_str(&k.h, "base");
        hasher_update(&k.h, base, HASH_SIZE);
    }
    image_write(&c->t, lay, &k.sink);
    hasher_final(&k.h, out);
}

#include "format/varuint.h"

unsigned varuint_len(uint64_t v) {
    unsigned n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t varuint_put(uint8_t *out, uint64_t v, unsigned width) {
    for (unsigned i = width; i-- > 0;) {
        out[i] = (uint8_t)((v & 0x7f) | (i == width - 1 ? 0 : 0x80));
        v >>= 7;
    }
    return width;
}

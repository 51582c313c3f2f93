#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "flash/uf2.h"
#include "util/diag.h"
#include "util/number.h"

/* IDs from the UF2 specification's utils/uf2families.json (its
 * short_name, lowercase with '-'); an alias follows what it stands for. */
static const struct {
    const char *name;
    uint32_t id;
    bool alias;
} families[] = {
    {"rp2040", 0xe48bff56, false},       {"rp2350-arm-s", 0xe48bff59, false},
    {"rp2350", 0xe48bff59, true},        {"rp2350-arm-ns", 0xe48bff5b, false},
    {"rp2350-riscv", 0xe48bff5a, false}, {"rp2xxx-absolute", 0xe48bff57, false},
    {"rp2xxx-data", 0xe48bff58, false},  {"samd21", 0x68ed2b88, false},
    {"samd51", 0x55114460, false},       {"saml21", 0x1851780a, false},
    {"stm32f4", 0x57755a57, false},      {"stm32f7", 0x53b80f00, false},
    {"stm32h7", 0x6db66082, false},      {"stm32l4", 0x00ff6919, false},
    {"stm32wb", 0x70d16653, false},      {"esp32s2", 0xbfdd4eee, false},
    {"esp32s3", 0xc47e5767, false},      {"nrf52840", 0xada52840, false},
    {"nrf52833", 0x621e937a, false},     {"mimxrt10xx", 0x4fb2d5bd, false},
};

enum { N_FAMILIES = sizeof families / sizeof families[0] };

static bool same_name(const char *user, const char *name) {
    for (;; user++, name++) {
        char c = *user == '_' ? '-' : (char)tolower((unsigned char)*user);
        if (c != *name) {
            return false;
        }
        if (c == '\0') {
            return true;
        }
    }
}

bool uf2_family_lookup(const char *s, uint32_t *id) {
    for (size_t i = 0; i < N_FAMILIES; i++) {
        if (same_name(s, families[i].name)) {
            *id = families[i].id;
            return true;
        }
    }
    uint64_t v;
    const char *rest;
    if (parse_uint(s, &v, &rest) && *rest == '\0' && v <= UINT32_MAX) {
        *id = (uint32_t)v;
        return true;
    }
    return false;
}

int uf2_family_parse(const char *what, const char *s, uint32_t *id) {
    if (uf2_family_lookup(s, id)) {
        return 0;
    }
    char known[512];
    size_t len = 0;
    for (size_t i = 0; i < N_FAMILIES && len < sizeof known; i++) {
        len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "",
                                families[i].name);
    }
    diag_error("%s: unknown UF2 family '%s' (known: %s; or a family ID such as 0xe48bff56)", what,
               shown(s), known);
    return -1;
}

const char *uf2_family_name(uint32_t id) {
    for (size_t i = 0; i < N_FAMILIES; i++) {
        if (families[i].id == id && !families[i].alias) {
            return families[i].name;
        }
    }
    return NULL;
}

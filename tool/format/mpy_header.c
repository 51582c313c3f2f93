#include "format/mpy_header.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* In the order of MicroPython's MP_NATIVE_ARCH_* (0 is none). */
static const char *const arch_names[] = {
    NULL,      "x86",       "x64",    "armv6",     "armv6m",  "armv7m",  "armv7em",
    "armv7emsp", "armv7emdp", "xtensa", "xtensawin", "rv32imc", "rv64imc",
};
enum { N_ARCH = sizeof arch_names / sizeof arch_names[0] };

const char mpy_arch_names[] = "x86, x64, armv6, armv6m, armv7m, armv7em, armv7emsp, armv7emdp, "
                              "xtensa, xtensawin, rv32imc, rv64imc";

bool mpy_header_parse(const uint8_t *p, size_t n, mpy_header *out) {
    if (n < MPY_HEADER_LEN || p[0] != 'M') {
        return false;
    }
    out->version = p[1];
    out->sub_version = p[2] & 3;
    out->arch = (p[2] >> 2) & 0x2f; /* 0x40 flags that arch flags follow */
    out->small_int_bits = p[3];
    return true;
}

const char *mpy_arch_name(unsigned arch) {
    return arch > 0 && arch < N_ARCH ? arch_names[arch] : NULL;
}

int mpy_arch_by_name(const char *name) {
    for (int i = 1; i < N_ARCH; i++) {
        if (!strcmp(arch_names[i], name)) {
            return i;
        }
    }
    return -1;
}

const char *mpy_abi_parse(const char *text, mpy_abi *out) {
    static const char form[] = "must be a bytecode version such as \"6.3\" or \"6.3/armv7emsp\"";
    if (*text < '0' || *text > '9') {
        return form;
    }
    char *end;
    unsigned long v = strtoul(text, &end, 10);
    if (v > 255 || (*end != '.' && *end != '/' && *end != '\0')) {
        return form;
    }
    out->version = (unsigned)v;
    out->sub_version = -1;
    out->arch = -1;
    if (*end == '.') {
        const char *s = end + 1;
        if (*s < '0' || *s > '9') {
            return form;
        }
        unsigned long sub = strtoul(s, &end, 10);
        if (sub > 3 || (*end != '\0' && *end != '/')) {
            return form;
        }
        out->sub_version = (int)sub;
    }
    if (*end == '/') {
        out->arch = mpy_arch_by_name(end + 1);
        if (out->arch < 0) {
            return "names an architecture mpy-cross does not know (x86, x64, armv6, armv6m, "
                   "armv7m, armv7em, armv7emsp, armv7emdp, xtensa, xtensawin, rv32imc, rv64imc)";
        }
    }
    return NULL;
}

bool mpy_abi_accepts(const mpy_abi *abi, const mpy_header *h, const char **why) {
    if (h->version != abi->version) {
        *why = "bytecode version";
        return false;
    }
    if (h->arch == 0) {
        return true; /* bytecode only: any firmware of this version loads it */
    }
    if (abi->sub_version >= 0 && (int)h->sub_version != abi->sub_version) {
        *why = "native sub-version";
        return false;
    }
    if (abi->arch >= 0 && (int)h->arch != abi->arch) {
        *why = "native architecture";
        return false;
    }
    return true;
}

void mpy_header_describe(const mpy_header *h, char *buf, size_t n) {
    const char *arch = mpy_arch_name(h->arch);
    if (h->arch == 0) {
        snprintf(buf, n, "%u (bytecode only)", h->version);
    } else if (arch != NULL) {
        snprintf(buf, n, "%u.%u/%s", h->version, h->sub_version, arch);
    } else {
        snprintf(buf, n, "%u.%u/arch %u", h->version, h->sub_version, h->arch);
    }
}

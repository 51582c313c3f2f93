/* The header MicroPython writes at the start of every .mpy file, as its
 * loader checks it (py/persistentcode.c): 'M', the bytecode version, a
 * feature byte holding the native ABI's sub-version (2 bits) and native
 * architecture (6 bits: only a .mpy with native code names one), and the
 * small-int width. A bytecode-only .mpy loads in any firmware of the same
 * version; one with native code needs the same sub-version and a
 * compatible architecture. */
#ifndef ROMFS_FORMAT_MPY_HEADER_H
#define ROMFS_FORMAT_MPY_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { MPY_HEADER_LEN = 4 };

typedef struct {
    unsigned version, sub_version, arch, small_int_bits;
} mpy_header;

/* false when the bytes are not a .mpy header ('M' and 4 bytes at least). */
bool mpy_header_parse(const uint8_t *p, size_t n, mpy_header *out);
/* "armv7emsp", or NULL for an architecture this tool does not know. */
const char *mpy_arch_name(unsigned arch);
/* The architecture called `name`; -1 when there is none. */
int mpy_arch_by_name(const char *name);
/* The names, for messages: "x86, x64, armv6, ...". */
extern const char mpy_arch_names[];

/* What a firmware takes: image.mpy_abi "6.3" or "6.3/armv7emsp"; "6"
 * (or "6/armv7emsp") leaves the sub-version of native code open. */
typedef struct {
    unsigned version;
    int sub_version; /* -1: any */
    int arch;        /* -1: any */
} mpy_abi;

/* NULL on success, else what is wrong with `text`. */
const char *mpy_abi_parse(const char *text, mpy_abi *out);
/* Whether a firmware of `abi` loads a .mpy with header `h`; *why (static
 * text) says which part differs when it does not. */
bool mpy_abi_accepts(const mpy_abi *abi, const mpy_header *h, const char **why);
/* "6.3", "6.3/armv7emsp", "6 (bytecode only)", into buf. */
void mpy_header_describe(const mpy_header *h, char *buf, size_t n);

#endif

/* flash_tool: the flash/ layer on the command line, for the Python tests
 * (tests/test_flash_formats.py finds it through ROMFS_FLASH_TOOL) until
 * the romfs program has commands of its own for it. Not a test itself.
 *
 *   flash_tool write FORMAT OUT [KEY=VALUE | ADDRESS:FILE]...
 *       each ADDRESS:FILE a segment, streamed from FILE through the read
 *       callback (mem=1: loaded into memory first); OUT "-" is stdout.
 *       Keys: family= alt= vid= pid= name= machine= elf64=1 big=1 fill=;
 *       claim=N makes the next segment claim N bytes, whatever its file
 *       holds, so that reading past the end shows how a failed read ends
 *   flash_tool read FILE [format=F] [address=A]
 *       the format from the file's bytes (else its name, else format=);
 *       "# key value" lines with what the file says about itself, then
 *       one line per segment: 0xADDRESS SIZE HEX
 *   flash_tool detect FILE        the format by content, then by name
 *   flash_tool esp CSV [NAME] [offset=TABLE_OFFSET]
 *       every partition, then "romfs NAME OFFSET SIZE"
 *   flash_tool elfsyms ELF        machine, class, byte order, PT_LOADs, symbols
 *   flash_tool family NAME        the UF2 family ID
 *
 * Exit status 0, 1 with the layer's one error line, 2 for bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flash/dfu.h"
#include "flash/elf.h"
#include "flash/esp_parts.h"
#include "flash/formats.h"
#include "flash/uf2.h"
#include "util/alloc.h"
#include "util/io.h"
#include "util/number.h"

static void usage(void) {
    fprintf(stderr, "usage: flash_tool write FORMAT OUT [KEY=VALUE | ADDRESS:FILE]...\n"
                    "       flash_tool read FILE [format=F] [address=A]\n"
                    "       flash_tool detect FILE\n"
                    "       flash_tool esp CSV [NAME] [offset=A]\n"
                    "       flash_tool elfsyms ELF\n"
                    "       flash_tool family NAME\n");
    exit(2);
}

static uint64_t number(const char *s) {
    uint64_t v;
    const char *rest;
    if (!parse_uint(s, &v, &rest) || *rest != '\0') {
        fprintf(stderr, "flash_tool: not a number: %s\n", s);
        exit(2);
    }
    return v;
}

static char *slurp(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY);
    char *data;
    if (fd < 0 || read_all(fd, (size_t)1 << 31, &data, len) != 0) {
        fprintf(stderr, "flash_tool: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    close(fd);
    return data;
}

static int read_fd(void *ctx, uint64_t offset, void *buf, size_t n) {
    int fd = *(int *)ctx;
    ssize_t got = pread(fd, buf, n, (off_t)offset);
    if (got < 0) {
        return -1;
    }
    if ((size_t)got != n) {
        errno = EIO;
        return -1;
    }
    return 0;
}

static int cmd_write(int argc, char **argv) {
    if (argc < 2) {
        usage();
    }
    flash_format f = flash_format_parse(argv[0]);
    if (f == FLASH_UNKNOWN) {
        usage();
    }
    const char *out_path = argv[1];
    flash_opts o = flash_opts_default();
    flash_map m = {0};
    int *fds = xcalloc((size_t)argc, sizeof *fds);
    int mem = 0;
    uint64_t claim = UINT64_MAX;
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '='), *colon = strchr(argv[i], ':');
        if (eq != NULL && (colon == NULL || eq < colon)) {
            *eq = '\0';
            const char *k = argv[i], *v = eq + 1;
            if (strcmp(k, "family") == 0) {
                o.has_family = true;
                if (uf2_family_parse("family", v, &o.uf2_family) != 0) {
                    return 1;
                }
            } else if (strcmp(k, "alt") == 0) {
                o.dfu_alt = (unsigned)number(v);
            } else if (strcmp(k, "vid") == 0) {
                o.dfu_vid = (uint16_t)number(v);
            } else if (strcmp(k, "pid") == 0) {
                o.dfu_pid = (uint16_t)number(v);
            } else if (strcmp(k, "name") == 0) {
                o.dfu_target_name = v;
            } else if (strcmp(k, "machine") == 0) {
                o.elf_machine = (uint16_t)number(v);
            } else if (strcmp(k, "elf64") == 0) {
                o.elf64 = number(v) != 0;
            } else if (strcmp(k, "big") == 0) {
                o.elf_big_endian = number(v) != 0;
            } else if (strcmp(k, "fill") == 0) {
                o.fill = (uint8_t)number(v);
            } else if (strcmp(k, "claim") == 0) {
                claim = number(v);
            } else if (strcmp(k, "mem") == 0) {
                mem = number(v) != 0;
            } else {
                usage();
            }
        } else if (colon != NULL) {
            *colon = '\0';
            uint64_t address = number(argv[i]);
            const char *path = colon + 1;
            if (mem) {
                size_t len;
                char *data = slurp(path, &len);
                flash_map_add_owned(&m, address, len, (uint8_t *)data);
            } else {
                struct stat st;
                fds[i] = open(path, O_RDONLY);
                if (fds[i] < 0 || fstat(fds[i], &st) != 0) {
                    fprintf(stderr, "flash_tool: %s: %s\n", path, strerror(errno));
                    return 1;
                }
                flash_map_add_reader(&m, address,
                                     claim != UINT64_MAX ? claim : (uint64_t)st.st_size, read_fd,
                                     &fds[i]);
                claim = UINT64_MAX;
            }
        } else {
            usage();
        }
    }
    int rc = 1;
    int fd = strcmp(out_path, "-") == 0 ? 1 : open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) {
        fprintf(stderr, "flash_tool: %s: %s\n", out_path, strerror(errno));
    } else if (flash_map_check(out_path, &m) == 0 && flash_write(f, fd, out_path, &m, &o) == 0) {
        rc = 0;
    }
    if (fd > 1 && close(fd) != 0) {
        rc = 1;
    }
    for (int i = 0; i < argc; i++) {
        if (fds[i] > 0) {
            close(fds[i]);
        }
    }
    free(fds);
    flash_map_free(&m);
    return rc;
}

static void print_map(const flash_map *m) {
    for (size_t i = 0; i < m->n; i++) {
        const flash_segment *s = &m->v[i];
        printf("0x%08" PRIx64 " %" PRIu64 " ", s->address, s->size);
        for (uint64_t k = 0; k < s->size; k++) {
            printf("%02x", s->bytes[k]);
        }
        printf("\n");
    }
}

static int cmd_read(int argc, char **argv) {
    if (argc < 1) {
        usage();
    }
    const char *path = argv[0];
    flash_format f = FLASH_UNKNOWN;
    uint64_t address = 0;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "format=", 7) == 0) {
            f = flash_format_parse(argv[i] + 7);
        } else if (strncmp(argv[i], "address=", 8) == 0) {
            address = number(argv[i] + 8);
        } else {
            usage();
        }
    }
    size_t n;
    uint8_t *p = (uint8_t *)slurp(path, &n);
    /* An exact-size copy, so that AddressSanitizer sees any read past the
     * end (slurp's buffer has room to spare). */
    uint8_t *exact = xmalloc(n ? n : 1);
    memcpy(exact, p, n);
    free(p);
    if (f == FLASH_UNKNOWN) {
        f = flash_detect(exact, n);
    }
    if (f == FLASH_UNKNOWN) {
        f = flash_format_from_name(path);
    }
    printf("# format %s\n", flash_format_name(f));
    flash_map m = {0};
    int rc;
    if (f == FLASH_UF2) {
        uf2_info info;
        rc = flash_read_uf2(path, exact, n, &m, &info);
        if (rc == 0) {
            printf("# blocks %" PRIu32 "\n# skipped %" PRIu32 "\n", info.blocks, info.skipped);
            if (info.has_family) {
                const char *name = uf2_family_name(info.family);
                printf("# family 0x%08" PRIx32 " %s\n", info.family, name ? name : "?");
            }
        }
    } else if (f == FLASH_DFU) {
        dfu_info info;
        rc = flash_read_dfu(path, exact, n, &m, &info);
        if (rc == 0) {
            printf("# vid 0x%04x\n# pid 0x%04x\n# bcd_device 0x%04x\n# bcd_dfu 0x%04x\n"
                   "# targets %u\n# alt %u\n# name %s\n",
                   info.vid, info.pid, info.bcd_device, info.bcd_dfu, info.targets, info.alt,
                   info.name);
        }
    } else {
        rc = flash_read(f, path, exact, n, address, &m);
    }
    if (rc == 0) {
        print_map(&m);
    }
    flash_map_free(&m);
    free(exact);
    return rc == 0 ? 0 : 1;
}

static int cmd_detect(int argc, char **argv) {
    if (argc != 1) {
        usage();
    }
    size_t n;
    uint8_t *p = (uint8_t *)slurp(argv[0], &n);
    printf("%s %s\n", flash_format_name(flash_detect(p, n)),
           flash_format_name(flash_format_from_name(argv[0])));
    free(p);
    return 0;
}

static int cmd_esp(int argc, char **argv) {
    if (argc < 1) {
        usage();
    }
    const char *name = NULL;
    uint64_t table_offset = ESP_TABLE_OFFSET;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "offset=", 7) == 0) {
            table_offset = number(argv[i] + 7);
        } else {
            name = argv[i];
        }
    }
    size_t n;
    char *text = slurp(argv[0], &n);
    esp_table t;
    int rc = 1;
    if (esp_table_parse(argv[0], text, n, table_offset, &t) == 0) {
        for (size_t i = 0; i < t.n; i++) {
            const esp_partition *p = &t.v[i];
            printf("%s 0x%02x 0x%02x 0x%" PRIx64 " 0x%" PRIx64 " line=%u%s%s\n", p->name, p->type,
                   p->subtype, p->offset, p->size, p->line, p->encrypted ? " encrypted" : "",
                   p->readonly ? " readonly" : "");
        }
        const esp_partition *romfs;
        if (esp_table_romfs(argv[0], &t, name, &romfs) == 0) {
            printf("romfs %s 0x%" PRIx64 " 0x%" PRIx64 "\n", romfs->name, romfs->offset,
                   romfs->size);
            rc = 0;
        }
        esp_table_free(&t);
    }
    free(text);
    return rc;
}

static int cmd_elfsyms(int argc, char **argv) {
    if (argc != 1) {
        usage();
    }
    size_t n;
    uint8_t *p = (uint8_t *)slurp(argv[0], &n);
    elf_info info;
    int rc = 1;
    if (flash_read_elf(argv[0], p, n, NULL, &info) == 0) {
        const char *machine = elf_machine_name(info.machine);
        printf("machine %u %s\nclass %s\nendian %s\ntype %u\n", info.machine,
               machine ? machine : "?", info.elf64 ? "ELF64" : "ELF32",
               info.big_endian ? "big" : "little", info.type);
        for (size_t i = 0; i < info.n_loads; i++) {
            const elf_load *l = &info.loads[i];
            printf("load %zu paddr=0x%" PRIx64 " vaddr=0x%" PRIx64 " memsz=0x%" PRIx64
                   " filesz=0x%" PRIx64 " flags=%c%c%c\n",
                   l->index, l->paddr, l->vaddr, l->memsz, l->filesz, l->flags & 4 ? 'R' : '-',
                   l->flags & 2 ? 'W' : '-', l->flags & 1 ? 'X' : '-');
        }
        for (size_t i = 0; i < info.n_symbols; i++) {
            const elf_symbol *s = &info.symbols[i];
            printf("symbol %s value=0x%" PRIx64 " size=%" PRIu64 "%s%s bind=%u type=%u\n", s->name,
                   s->value, s->size, s->absolute ? " abs" : "", s->defined ? "" : " undef",
                   s->bind, s->type);
        }
        if (info.symbols_omitted) {
            printf("omitted %zu\n", info.symbols_omitted);
        }
        const elf_symbol *start = elf_info_symbol(&info, "_micropy_hw_romfs_part0_start");
        if (start != NULL) {
            printf("part0_start 0x%" PRIx64 "\n", start->value);
        }
        elf_info_free(&info);
        rc = 0;
    }
    free(p);
    return rc;
}

static int cmd_family(int argc, char **argv) {
    if (argc != 1) {
        usage();
    }
    uint32_t id;
    if (uf2_family_parse("family", argv[0], &id) != 0) {
        return 1;
    }
    const char *name = uf2_family_name(id);
    printf("0x%08" PRIx32 " %s\n", id, name ? name : "?");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage();
    }
    const char *cmd = argv[1];
    argc -= 2;
    argv += 2;
    if (strcmp(cmd, "write") == 0) {
        return cmd_write(argc, argv);
    }
    if (strcmp(cmd, "read") == 0) {
        return cmd_read(argc, argv);
    }
    if (strcmp(cmd, "detect") == 0) {
        return cmd_detect(argc, argv);
    }
    if (strcmp(cmd, "esp") == 0) {
        return cmd_esp(argc, argv);
    }
    if (strcmp(cmd, "elfsyms") == 0) {
        return cmd_elfsyms(argc, argv);
    }
    if (strcmp(cmd, "family") == 0) {
        return cmd_family(argc, argv);
    }
    usage();
}

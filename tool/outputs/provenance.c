/* The record names inputs by their path relative to `source_dir` (the
 * manifest's directory), never by an absolute path, so that the same
 * sources checked out anywhere give the same record. The record is JSON
 * that libyaml reads back (JSON's strings and flow collections are YAML),
 * so checking it needs no second parser. */
#include "outputs/provenance.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "util/alloc.h"
#include "util/atomic_file.h"
#include "util/diag.h"
#include "util/json.h"
#include "util/path.h"
#include "util/proc.h"
#include "util/sha256.h"
#include "util/version.h"

typedef struct {
    char hex[2 * SHA256_SIZE + 1];
    uint64_t size;
    bool ok;
} digest;

static digest hash_of(const char *path) {
    digest d = {{0}, 0, false};
    uint8_t raw[SHA256_SIZE];
    if (path != NULL && sha256_file(path, raw, &d.size) == 0) {
        sha256_hex(raw, d.hex);
        d.ok = true;
    }
    return d;
}

static void string(FILE *out, const char *s) {
    json_string(out, s, strlen(s));
}

/* `host` relative to `dir` when it lies below it, else as it is. */
static const char *relative(const char *host, const char *dir) {
    size_t n = dir ? strlen(dir) : 0;
    if (n > 0 && !strncmp(host, dir, n) && host[n] == '/') {
        return host + n + 1;
    }
    return host;
}

/* The compiler's own words for what it is, first line only. */
static char *compiler_version(const char *path) {
    FILE *capture = tmpfile();
    if (capture == NULL) {
        return xstrdup("");
    }
    char *argv[] = {(char *)path, "--version", NULL};
    int status = -1;
    pid_t pid = proc_start(argv, capture);
    char *text = pid >= 0 && proc_wait(pid, &status) == 0 && status == 0
                     ? proc_output(capture, 512)
                     : xstrdup("");
    fclose(capture);
    text[strcspn(text, "\n")] = '\0';
    return text;
}

static void basename_string(FILE *out, const char *path) {
    char *base = path_basename(path);
    string(out, base);
    free(base);
}

static int record(FILE *out, const build_view *v, const char *record_path) {
    const build_origin *o = v->origin;
    digest image = hash_of(v->image);
    if (!image.ok) {
        diag_error("%s: cannot read the image back: %s", shown(v->image), strerror(errno));
        return -1;
    }
    /* The tool by version, not by a hash of its binary: the record, like the image, must not
     * depend on which compiler built the packer. */
    fprintf(out,
            "{\n  \"romfs_provenance\": 1,\n  \"tool\": {\"name\": \"romfs\", \"version\": "
            "\"%s\"},\n  \"manifest\": ",
            ROMFS_VERSION);
    if (o->manifest != NULL) {
        digest m = hash_of(o->manifest);
        fputs("{\"path\": ", out);
        basename_string(out, o->manifest);
        fprintf(out, ", \"sha256\": \"%s\"}", m.hex);
    } else {
        fputs("null", out);
    }
    fputs(",\n  \"definitions\": {", out);
    for (size_t i = 0; i < o->n_defines; i++) {
        fputs(i ? ", " : "", out);
        string(out, o->define_names[i]);
        fputs(": ", out);
        string(out, o->define_values[i]);
    }
    fputs("},\n  \"mpy_cross\": ", out);
    if (o->mpy_cross != NULL) {
        digest c = hash_of(o->mpy_cross);
        char *version = compiler_version(o->mpy_cross);
        fputs("{\"path\": ", out);
        basename_string(out, o->mpy_cross);
        fputs(", \"version\": ", out);
        string(out, version);
        fprintf(out, ", \"sha256\": \"%s\", \"arguments\": [", c.hex);
        for (size_t i = 0; i < o->n_mpy_args; i++) {
            fputs(i ? ", " : "", out);
            string(out, o->mpy_args[i]);
        }
        fputs("]}", out);
        free(version);
    } else {
        fputs("null", out);
    }
    /* Where the inputs' paths start from, seen from the record's own
     * directory, so that verify finds them again wherever the tree is. */
    char *record_dir = path_dirname_abs(record_path);
    char *from = path_relative(record_dir, o->source_dir);
    fputs(",\n  \"inputs_from\": ", out);
    string(out, from);
    free(from);
    free(record_dir);
    fputs(",\n  \"inputs\": [", out);
    for (size_t i = 0; i < o->n_inputs; i++) {
        const build_input *in = &o->inputs[i];
        digest d = hash_of(in->host);
        if (!d.ok) {
            diag_error("%s: cannot read: %s", shown(in->host), strerror(errno));
            return -1;
        }
        fputs(i ? ",\n    {\"path\": " : "\n    {\"path\": ", out);
        string(out, relative(in->host, o->source_dir));
        fputs(", \"image_path\": ", out);
        string(out, in->path);
        fprintf(out, ", \"size\": %" PRIu64 ", \"sha256\": \"%s\"", d.size, d.hex);
        if (in->compiled != NULL) {
            digest c = hash_of(in->compiled);
            fprintf(out, ", \"compiled\": {\"size\": %" PRIu64 ", \"sha256\": \"%s\"}", c.size,
                    c.hex);
        }
        fputc('}', out);
    }
    fprintf(out, "%s],\n  \"image\": {\"path\": ", o->n_inputs ? "\n  " : "");
    basename_string(out, v->image);
    fprintf(out, ", \"size\": %" PRIu64 ", \"sha256\": \"%s\"}\n}\n", image.size, image.hex);
    return 0;
}

/* A UUID made from the image's hash, as CycloneDX's serialNumber wants
 * one: a function of the image, not of the time it was built. */
static void uuid_of(const char *hex, char out[37]) {
    char h[33];
    memcpy(h, hex, 32);
    h[32] = '\0';
    h[12] = '5';                                  /* version 5 (name-based) */
    h[16] = "89ab"[strtol((char[]){h[16], 0}, NULL, 16) & 3]; /* RFC 4122 variant */
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static int sbom(FILE *out, const build_view *v, const char *sbom_path) {
    (void)sbom_path;
    const build_origin *o = v->origin;
    digest image = hash_of(v->image);
    if (!image.ok) {
        diag_error("%s: cannot read the image back: %s", shown(v->image), strerror(errno));
        return -1;
    }
    char uuid[37];
    uuid_of(image.hex, uuid);
    fprintf(out, "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n"
                 "  \"serialNumber\": \"urn:uuid:%s\",\n  \"version\": 1,\n  \"metadata\": {\n"
                 "    \"tools\": {\"components\": [{\"type\": \"application\", \"name\": \"romfs\", "
                 "\"version\": \"%s\"}]},\n    \"component\": {\"type\": \"file\", \"bom-ref\": "
                 "\"image\", \"name\": ",
            uuid, ROMFS_VERSION);
    basename_string(out, v->image);
    fprintf(out, ", \"hashes\": [{\"alg\": \"SHA-256\", \"content\": \"%s\"}], \"properties\": "
                 "[{\"name\": \"romfs:size\", \"value\": \"%" PRIu64 "\"}]}\n  },\n"
                 "  \"components\": [",
            image.hex, image.size);
    for (size_t i = 0; i < o->n_inputs; i++) {
        const build_input *in = &o->inputs[i];
        digest d = hash_of(in->compiled ? in->compiled : in->host);
        digest src = hash_of(in->host);
        if (!d.ok || !src.ok) {
            diag_error("%s: cannot read: %s", shown(in->host), strerror(errno));
            return -1;
        }
        fputs(i ? ",\n    {\"type\": \"file\", \"bom-ref\": " : "\n    {\"type\": \"file\", "
                                                                 "\"bom-ref\": ",
              out);
        char *ref = xasprintf("file:%s", in->path);
        string(out, ref);
        free(ref);
        fputs(", \"name\": ", out);
        string(out, in->path);
        fprintf(out, ", \"hashes\": [{\"alg\": \"SHA-256\", \"content\": \"%s\"}], "
                     "\"properties\": [{\"name\": \"romfs:source\", \"value\": ",
                d.hex);
        string(out, relative(in->host, o->source_dir));
        fprintf(out, "}, {\"name\": \"romfs:size\", \"value\": \"%" PRIu64 "\"}", d.size);
        if (in->compiled != NULL) {
            fprintf(out, ", {\"name\": \"romfs:source_sha256\", \"value\": \"%s\"}", src.hex);
        }
        fputs("]}", out);
    }
    fprintf(out, "%s],\n  \"dependencies\": [{\"ref\": \"image\", \"dependsOn\": [",
            o->n_inputs ? "\n  " : "");
    for (size_t i = 0; i < o->n_inputs; i++) {
        char *ref = xasprintf("file:%s", o->inputs[i].path);
        fputs(i ? ", " : "", out);
        string(out, ref);
        free(ref);
    }
    fputs("]}]\n}\n", out);
    return 0;
}

static int write_with(output *o, const build_view *v,
                      int (*fill)(FILE *, const build_view *, const char *)) {
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL) {
        xalloc_failed();
    }
    int rc = v->origin == NULL ? -1 : fill(mem, v, o->path);
    fclose(mem);
    if (rc == 0) {
        rc = write_if_changed(o->path, text, len);
    }
    free(text);
    return rc;
}

static int write_provenance(output *o, const build_view *v) {
    return write_with(o, v, record);
}

static int write_sbom(output *o, const build_view *v) {
    return write_with(o, v, sbom);
}

const output_kind provenance_output = {
    .name = "the provenance record",
    .option = "provenance",
    .help = "what the image was made from, with SHA-256 of every input (JSON)",
    .write = write_provenance,
};

const output_kind sbom_output = {
    .name = "the SBOM",
    .option = "sbom",
    .help = "the same as a CycloneDX 1.5 SBOM (JSON), files as components",
    .write = write_sbom,
};

/* ---------------------------------------------------------------- verify */

typedef struct {
    yaml_document_t doc;
    yaml_node_t *root;
} record_doc;

static yaml_node_t *member(record_doc *d, yaml_node_t *map, const char *key) {
    if (map == NULL || map->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE &&
            !strcmp((const char *)k->data.scalar.value, key)) {
            return yaml_document_get_node(&d->doc, p->value);
        }
    }
    return NULL;
}

static const char *text_of(yaml_node_t *n) {
    return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A record names each input in about 200 bytes: this is room for a million. */
enum { MAX_RECORD_BYTES = 256 << 20 };

static int load_record(const char *path, record_doc *d) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        diag_error("%s: cannot read the provenance record: %s", shown(path), strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_RECORD_BYTES) {
        diag_error("%s: not a provenance record: not a regular file of at most %d MiB",
                   shown(path), MAX_RECORD_BYTES >> 20);
        fclose(f);
        return -1;
    }
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int ok = yaml_parser_load(&parser, &d->doc);
    yaml_parser_delete(&parser);
    fclose(f);
    d->root = ok ? yaml_document_get_root_node(&d->doc) : NULL;
    if (!ok || d->root == NULL || text_of(member(d, d->root, "romfs_provenance")) == NULL) {
        if (ok) {
            yaml_document_delete(&d->doc);
        }
        diag_error("%s: not a romfs provenance record", shown(path));
        return -1;
    }
    return 0;
}

int provenance_verify(const char *record_path, const char *image) {
    record_doc d;
    if (load_record(record_path, &d) != 0) {
        return EXIT_INPUT;
    }
    int faults = 0;
    yaml_node_t *img = member(&d, d.root, "image");
    const char *want = text_of(member(&d, img, "sha256"));
    digest got = hash_of(image);
    if (!got.ok) {
        diag_error("%s: cannot read: %s", shown(image), strerror(errno));
        faults++;
    } else if (want == NULL || strcmp(want, got.hex) != 0) {
        diag_error("%s: the image is not the one %s records (SHA-256 %s, recorded %s)",
                   shown(image), shown(record_path), got.hex, want ? shown(want) : "none");
        faults++;
    }
    /* Inputs are found from where the record says, seen from its own
     * directory. */
    char *record_dir = path_dirname_abs(record_path);
    const char *from = text_of(member(&d, d.root, "inputs_from"));
    char *dir = from == NULL || !strcmp(from, ".") ? xstrdup(record_dir)
                : from[0] == '/'                  ? xstrdup(from)
                                                  : path_join(record_dir, from);
    free(record_dir);
    yaml_node_t *inputs = member(&d, d.root, "inputs");
    size_t checked = 0, absent = 0, total = 0;
    if (inputs != NULL && inputs->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = inputs->data.sequence.items.start;
             it < inputs->data.sequence.items.top; it++) {
            yaml_node_t *in = yaml_document_get_node(&d.doc, *it);
            const char *rel = text_of(member(&d, in, "path"));
            const char *sum = text_of(member(&d, in, "sha256"));
            total++;
            if (rel == NULL || sum == NULL) {
                continue;
            }
            char *host = rel[0] == '/' ? xstrdup(rel) : path_join(dir, rel);
            digest now = hash_of(host);
            if (!now.ok) {
                absent++;
            } else if (strcmp(now.hex, sum) != 0) {
                diag_error("%s: input %s differs from the record (SHA-256 %s, recorded %s)",
                           shown(record_path), shown(rel), now.hex, shown(sum));
                faults++;
                checked++;
            } else {
                checked++;
            }
            free(host);
        }
    }
    if (faults == 0) {
        printf("%s: ok: the image is the one %s records; %zu of %zu inputs checked and the same"
               "%s\n",
               image, record_path, checked, total,
               absent ? " (the others are not present here)" : "");
    }
    free(dir);
    yaml_document_delete(&d.doc);
    return faults ? EXIT_INPUT : 0;
}

/* The manifest's text before it is a document: read with a bound, scanned
 * once as libyaml's events (values counted, aliases included; nesting
 * capped; tags refused), so that a file of millions of values, or of
 * millions of aliases to one, is turned away before anything is built for
 * it; and libyaml's faults said as one line with a position. */
#include "manifest/yaml_input.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "manifest/limits.h"
#include "util/diag.h"
#include "util/io.h"

/* libyaml reports undecodable input by byte offset only. */
static void offset_to_pos(const char *text, size_t len, size_t offset, src_pos *p) {
    p->line = 1;
    p->col = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        if (text[i] == '\n') {
            p->line++;
            p->col = 1;
        } else {
            p->col++;
        }
    }
}

int yaml_report_error(const char *path, yaml_parser_t *parser, const char *text, size_t len) {
    src_pos p = {path, (unsigned)parser->problem_mark.line + 1,
                 (unsigned)parser->problem_mark.column + 1};
    const char *problem = parser->problem ? parser->problem : "cannot parse";
    if (parser->error == YAML_READER_ERROR) {
        offset_to_pos(text, len, parser->problem_offset, &p);
        diag_error_at(&p, "manifest is not valid UTF-8 text (%s)", problem);
    } else if (parser->error == YAML_MEMORY_ERROR) {
        diag_error_at(&p, "out of memory while reading the manifest");
    } else if (parser->context) {
        diag_error_at(&p, "YAML syntax error: %s %s", problem, parser->context);
    } else {
        diag_error_at(&p, "YAML syntax error: %s", problem);
    }
    return -1;
}

char *manifest_read_text(const char *path, size_t *len) {
    int fd = open_input(path);
    if (fd < 0 && errno == EISDIR) {
        diag_error("%s: the manifest is a directory, not a YAML file", shown(path));
        return NULL;
    }
    if (fd < 0) {
        diag_error("%s: cannot read the manifest: %s", shown(path), strerror(errno));
        return NULL;
    }
    char *text = NULL;
    int rc = read_all(fd, MAX_MANIFEST_BYTES, &text, len);
    int err = errno;
    close(fd);
    if (rc != 0 && err == EFBIG) {
        diag_error("%s: the manifest is larger than %d MiB; is this the right file?", shown(path),
                   MAX_MANIFEST_BYTES >> 20);
    } else if (rc != 0) {
        diag_error("%s: cannot read the manifest: %s", shown(path), strerror(err));
    }
    return rc == 0 ? text : NULL;
}

static const yaml_char_t *event_tag(const yaml_event_t *ev) {
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        return ev->data.scalar.tag;
    case YAML_SEQUENCE_START_EVENT:
        return ev->data.sequence_start.tag;
    case YAML_MAPPING_START_EVENT:
        return ev->data.mapping_start.tag;
    default:
        return NULL;
    }
}

int yaml_prescan(const char *path, const char *text, size_t len) {
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    unsigned long values = 0;
    unsigned depth = 0;
    int rc = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = yaml_report_error(path, &parser, text, len);
            break;
        }
        src_pos at = {path, (unsigned)ev.start_mark.line + 1,
                      (unsigned)ev.start_mark.column + 1};
        const yaml_char_t *tag = event_tag(&ev);
        bool value = ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT ||
                     ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT;
        bool end = ev.type == YAML_STREAM_END_EVENT;
        if (tag != NULL) {
            diag_error_at(&at, "YAML tags such as '%s' are not supported in a manifest",
                          shown((const char *)tag));
            rc = -1;
        } else if (value && ++values > MAX_NODE_VISITS) {
            diag_error_at(&at, "manifest has more than %d values; is this the right file?",
                          MAX_NODE_VISITS);
            rc = -1;
        } else if ((ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) &&
                   ++depth > MAX_DEPTH) {
            diag_error_at(&at, "manifest nests lists and mappings more than %d deep; is this the "
                               "right file?",
                          MAX_DEPTH);
            rc = -1;
        } else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        yaml_event_delete(&ev);
        if (rc != 0 || end) {
            break;
        }
    }
    yaml_parser_delete(&parser);
    return rc;
}

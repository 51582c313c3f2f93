#ifndef ROMFS_YAML_INPUT_H
#define ROMFS_YAML_INPUT_H

#include <stddef.h>
#include <yaml.h>

/* The manifest at `path`, whole, NUL-terminated; NULL with an error
 * printed when it cannot be read or is too large to be one. */
char *manifest_read_text(const char *path, size_t *len);
/* The first pass over `text`: 0, or -1 with an error printed at the
 * position of the first tag, the value past the limit, the nesting past
 * the limit, or the syntax error. */
int yaml_prescan(const char *path, const char *text, size_t len);
/* Prints libyaml's fault in `parser` as one error line; returns -1. */
int yaml_report_error(const char *path, yaml_parser_t *parser, const char *text, size_t len);

#endif

/* The report page's style sheet and script, kept as report_html.css and
 * report_html.js beside this header and turned into these arrays at build
 * time (tool/embed_text.cmake). Each holds its file's bytes and a NUL;
 * _len counts the bytes without it. */
#ifndef ROMFS_OUTPUTS_REPORT_HTML_ASSETS_H
#define ROMFS_OUTPUTS_REPORT_HTML_ASSETS_H

#include <stddef.h>

extern const char report_html_css[];
extern const size_t report_html_css_len;
extern const char report_html_js[];
extern const size_t report_html_js_len;

#endif

/* Messages to the user: every error is one line on stderr that starts
 * with "romfs: error:", manifest faults with file:line:column. */
#ifndef ROMFS_DIAG_H
#define ROMFS_DIAG_H

#include <stdarg.h>

#include <stddef.h>

/* Exit statuses of the command line contract. */
enum { EXIT_INPUT = 1, EXIT_USAGE = 2 };

/* A place in a manifest, or a line of a line-oriented file (col 0);
 * line and column count from 1. */
typedef struct {
    const char *file;
    unsigned line;
    unsigned col;
} src_pos;

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

void diag_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
void diag_error_at(const src_pos *pos, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The same with a va_list, for a parser's own fail(). */
void diag_verror_at(const src_pos *pos, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
void diag_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void diag_warn_at(const src_pos *pos, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Progress and summaries; silenced by --quiet. */
void diag_info(const char *fmt, ...) PRINTF_LIKE(1, 2);
extern int diag_quiet;

/* `s` made safe for a one-line message: control characters and bytes that
 * are not UTF-8 become \n, \t or \xNN escapes. The result lives in one of
 * a few rotating static buffers, enough for the arguments of one message. */
const char *shown(const char *s);
const char *shown_n(const char *s, size_t n);
/* The same escaping, one character at a time: the escaped form of the
 * character at s (n > 0 bytes left) into out, returning its length, and
 * how many bytes of s it took in *used. */
enum { ESCAPE_MAX = 8 };
size_t escape_one(const char *s, size_t n, char out[ESCAPE_MAX], size_t *used);

#endif

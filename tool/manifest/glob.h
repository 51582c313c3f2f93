/* Globs on image paths, as the manifest defines them: `*` and `?` stay
 * inside one path part, `**` as a whole part spans any number of parts
 * (none included), `[abc]`, `[a-z]` and `[!abc]` are sets, `\` quotes the
 * next character. A pattern without `/` matches the last path part only,
 * like .gitignore; one with `/` (a leading one included: "/config.json")
 * matches the whole path from its start. */
#ifndef ROMFS_GLOB_H
#define ROMFS_GLOB_H

#include <stdbool.h>

typedef struct glob glob;

/* NULL with *why set when the pattern is malformed. */
glob *glob_compile(const char *pattern, const char **why);
bool glob_match(const glob *g, const char *path);
/* One path part against one pattern part (no '/' in either), uncompiled:
 * for fixed, well-formed patterns such as the default excludes. */
bool glob_match_name(const char *pattern, const char *name);
void glob_free(glob *g);

#endif

/* The manifest's glob rules (manifests/README.md, "Globs"), case by case. */
#include <stdio.h>
#include <string.h>

#include "manifest/glob.h"

static const struct {
    const char *pattern, *path;
    int match;
} cases[] = {
    /* No '/': the last path part only, like .gitignore. */
    {"*.tflite", "model.tflite", 1},
    {"*.tflite", "models/a/b.tflite", 1},
    {"*.tflite", "model.tflite.bak", 0},
    {"*.tflite", "tflite", 0},
    {"*", "a/b/c", 1},
    {"?.txt", "a.txt", 1},
    {"?.txt", "ab.txt", 0},
    {"?.txt", "\xc3\xbc.txt", 1}, /* ? is one character, not one byte */
    {"labels.txt", "x/labels.txt", 1},
    {"labels.txt", "x/labels.txt/y", 0},
    /* With '/': the whole path, from the start. */
    {"lib/*.py", "lib/a.py", 1},
    {"lib/*.py", "lib/x/a.py", 0},
    {"lib/*.py", "x/lib/a.py", 0},
    {"/lib/*.py", "lib/a.py", 1},
    {"lib/**/*.py", "lib/a.py", 1},
    {"lib/**/*.py", "lib/x/y/z/a.py", 1},
    {"lib/**/*.py", "lib/x/a.txt", 0},
    {"**/*.psd", "a.psd", 1},
    {"**/*.psd", "x/y/a.psd", 1},
    {"**/x", "a/b/x", 1},
    {"**/x", "a/b/xx", 0},
    {"lib/**", "lib", 1},
    {"lib/**", "lib/a/b", 1},
    {"lib/**", "library/a", 0},
    {"a/**/b/**/c", "a/b/c", 1},
    {"a/**/b/**/c", "a/x/b/y/z/c", 1},
    {"a/**/b/**/c", "a/x/c", 0},
    {"dir/", "dir", 1}, /* a trailing '/' names the directory itself */
    /* '*' never crosses '/'. */
    {"a*/b", "ax/b", 1},
    {"a*/b", "a/x/b", 0},
    {"a**b", "axxb", 1}, /* ** inside a part is just * */
    /* Sets. */
    {"[abc].bin", "b.bin", 1},
    {"[abc].bin", "d.bin", 0},
    {"[a-c].bin", "c.bin", 1},
    {"[!a-c].bin", "c.bin", 0},
    {"[!a-c].bin", "d.bin", 1},
    {"[^a-c].bin", "d.bin", 1},
    {"[]].bin", "].bin", 1},
    {"x[\xc3\xa0-\xc3\xbf]", "x\xc3\xbc", 1}, /* ranges over code points */
    /* Quoting. */
    {"\\*.txt", "*.txt", 1},
    {"\\*.txt", "a.txt", 0},
    {"a\\[1].txt", "a[1].txt", 1},
    /* Backtracking that must stay cheap. */
    {"*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0},
    {"**/**/**/**/**/z", "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/y", 0},
};

static const struct {
    const char *pattern, *why;
} bad[] = {
    {"", "is empty"},
    {"/", "is empty"},
    {"a//b", "has an empty path part"},
    {"[abc", "has a '[' without its ']'"},
    {"abc\\", "ends in a lone '\\'"},
};

int main(void) {
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *why = NULL;
        glob *g = glob_compile(cases[i].pattern, &why);
        if (g == NULL) {
            printf("FAIL: '%s' did not compile: %s\n", cases[i].pattern, why);
            failures++;
            continue;
        }
        int got = glob_match(g, cases[i].path);
        if (got != cases[i].match) {
            printf("FAIL: '%s' vs '%s': got %d, want %d\n", cases[i].pattern, cases[i].path, got,
                   cases[i].match);
            failures++;
        }
        glob_free(g);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *why = NULL;
        glob *g = glob_compile(bad[i].pattern, &why);
        if (g != NULL || why == NULL || strcmp(why, bad[i].why) != 0) {
            printf("FAIL: '%s' should be rejected as \"%s\", got %s\n", bad[i].pattern, bad[i].why,
                   g ? "a glob" : why);
            failures++;
        }
        glob_free(g);
    }
    printf("%s: %d failures\n", failures ? "FAIL" : "ok", failures);
    return failures != 0;
}

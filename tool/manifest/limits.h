#ifndef ROMFS_MANIFEST_LIMITS_H
#define ROMFS_MANIFEST_LIMITS_H

/* Bounds on what a manifest may cost, each checked before the cost is
 * paid: the text, its values, its nesting (libyaml's scanner is quadratic
 * in flow nesting, and its loader recursive), and what aliases make of it:
 * values visited, string bytes materialised, and glob patterns compiled
 * (matching costs patterns' bytes per file packed). */
enum {
    MAX_MANIFEST_BYTES = 16 << 20, /* real manifests are kilobytes */
    MAX_NODE_VISITS = 1000000,
    MAX_STRING = 4096,
    MAX_DEPTH = 64,
    MAX_EXPANDED_BYTES = 16 << 20,
    MAX_PATTERNS = 4096,
    MAX_PATTERN_BYTES = 64 << 10,
};

#endif

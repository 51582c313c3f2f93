"""Hostile manifests nested absurdly deep: 10,000 levels of flow sequences
and mappings, 5,000 of block mappings. romfs caps nesting at 64 levels
while it first reads the manifest as events, so each is refused there, in
one clear `romfs: error:` line naming the position of the 65th level and
leaving nothing behind (as in test_hostile_manifests.py), before libyaml's
scanner, whose work grows with every open flow level at every token, or
its recursive loader pays for the rest."""
import unittest

from romfs_testlib.hostile import HostileManifestCase

DEPTH = 10_000


class DeepNesting(HostileManifestCase):
    """Nesting is capped at 64 levels in the first pass, from the event
    stream, before libyaml's scanner (quadratic in flow depth) or loader
    (recursive) pays for more."""
    NEST = ("manifest nests lists and mappings more than 64 deep; is this the right "
            "file?")

    def expect_nest(self, manifest, line, col):
        self.expect(manifest, f"romfs: error: m.yaml:{line}:{col}: {self.NEST}")

    def test_flow_sequences(self):
        deep = "[" * DEPTH + "]" * DEPTH
        # The mapping of the manifest is level 1, so the 64th '[' is level 65.
        self.expect_nest(f"version: 1\nfiles: {deep}\n", 2, 7 + 64)
        self.expect_nest(f"version: 1\nfiles:\n  - src: assets\n    exclude: {deep}\n", 4,
                         13 + 62)
        self.expect_nest(f"{deep}\n", 1, 65)

    def test_the_limit_is_exact(self):
        ok = "[" * 63 + "]" * 63  # with the manifest's mapping, 64 levels
        self.expect(f"version: 1\nfiles: {ok}\n",
                    "romfs: error: m.yaml:2:9: each entry in files must be a mapping with "
                    "'src', not a list")
        self.expect_nest(f"version: 1\nfiles: [{ok}]\n", 2, 7 + 64)

    def test_flow_mappings(self):
        deep = "{a: " * DEPTH + "1" + "}" * DEPTH
        self.expect_nest(f"version: 1\nfiles: {deep}\n", 2, 8 + 4 * 63)
        mixed = "[{a: " * DEPTH + "1" + "}]" * DEPTH
        self.expect_nest(f"version: 1\nfiles:\n  - src: assets\n    exclude: {mixed}\n", 4,
                         15 + 5 * 30)

    def test_block_sequences(self):
        self.expect_nest("version: 1\nfiles:\n  " + "- " * DEPTH + "x\n", 3, 3 + 2 * 63)
        self.expect_nest("- " * DEPTH + "x\n", 1, 1 + 2 * 64)

    def test_block_mappings(self):
        # With one space of indentation per level, 5000 levels are 12 MB,
        # still under the 16 MiB limit; 10,000 are 50 MB, over it.
        levels = "".join(" " * i + "k:\n" for i in range(1, 5000)) + " " * 5000 + "v\n"
        self.expect_nest("version: 1\nfiles:\n  - src: assets\nx:\n" + levels, 68, 65)
        self.expect("version: 1\nfiles:\n  - src: assets\nx:\n"
                    + "".join(" " * i + "k:\n" for i in range(1, DEPTH)),
                    "romfs: error: m.yaml: the manifest is larger than 16 MiB; "
                    "is this the right file?")


if __name__ == "__main__":
    unittest.main()

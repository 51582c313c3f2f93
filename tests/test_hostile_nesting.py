"""Hostile manifests nested absurdly deep: 10,000 levels of flow sequences
and mappings, 5,000 of block mappings. Each must end in one clear
`romfs: error:` line and leave nothing behind, as in
test_hostile_manifests.py, within the same time and memory bounds.

These are the slow ones: libyaml's scanner does work for every open
flow level at every token, so 10,000 levels cost seconds per parse (and
romfs parses a manifest twice, as events and as a document)."""
import unittest

from romfs_testlib.hostile import HostileManifestCase

DEPTH = 10_000


class DeepNesting(HostileManifestCase):
    def test_flow_sequences(self):
        deep = "[" * DEPTH + "]" * DEPTH
        self.expect(f"version: 1\nfiles: {deep}\n",
                    "romfs: error: m.yaml:2:9: each entry in files must be a mapping with "
                    "'src', not a list")
        self.expect(f"version: 1\nfiles:\n  - src: assets\n    exclude: {deep}\n",
                    "romfs: error: m.yaml:4:15: exclude pattern must be a string, not a list")
        self.expect(f"version: 1\nrules: {deep}\nfiles: []\n",
                    "romfs: error: m.yaml:2:9: each rule must be a mapping with 'match', "
                    "not a list")
        self.expect(f"{deep}\n",
                    "romfs: error: m.yaml:1:1: manifest must be a mapping with 'version' and "
                    "'files', not a list")

    def test_flow_mappings(self):
        deep = "{a: " * DEPTH + "1" + "}" * DEPTH
        self.expect(f"version: 1\nfiles: {deep}\n",
                    "romfs: error: m.yaml:2:8: files must be a list of entries, not a mapping")
        self.expect(f"version: 1\nfiles:\n  - src: assets\n    dst: {deep}\n",
                    "romfs: error: m.yaml:4:10: dst must be a string, not a mapping")

    def test_flow_mappings_in_flow_sequences(self):
        mixed = "[{a: " * DEPTH + "1" + "}]" * DEPTH
        self.expect(f"version: 1\nfiles:\n  - src: assets\n    exclude: {mixed}\n",
                    "romfs: error: m.yaml:4:15: exclude pattern must be a string, "
                    "not a mapping")

    def test_block_sequences(self):
        self.expect("version: 1\nfiles:\n  " + "- " * DEPTH + "x\n",
                    "romfs: error: m.yaml:3:5: each entry in files must be a mapping with "
                    "'src', not a list")
        self.expect("- " * DEPTH + "x\n",
                    "romfs: error: m.yaml:1:1: manifest must be a mapping with 'version' and "
                    "'files', not a list")

    def test_block_mappings(self):
        # With one space of indentation per level, 5000 levels are 12 MB,
        # still under the 16 MiB limit; 10,000 are 50 MB, over it.
        levels = "".join(" " * i + "k:\n" for i in range(1, 5000)) + " " * 5000 + "v\n"
        self.expect("version: 1\nfiles:\n  - src: assets\nx:\n" + levels,
                    "romfs: error: m.yaml:4:1: unknown key 'x' in the manifest "
                    "(known keys: version, image, rules, files)")
        self.expect("version: 1\nfiles:\n  - src: assets\n    dst:\n"
                    + "".join(" " * (i + 4) + "k:\n" for i in range(1, 5000)) + "\n",
                    "romfs: error: m.yaml:5:6: dst must be a string, not a mapping")
        self.expect("version: 1\nfiles:\n  - src: assets\nx:\n"
                    + "".join(" " * i + "k:\n" for i in range(1, DEPTH)),
                    "romfs: error: m.yaml: the manifest is larger than 16 MiB; "
                    "is this the right file?")


if __name__ == "__main__":
    unittest.main()

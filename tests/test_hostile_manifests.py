"""Hostile manifests: alias bombs, huge files, huge strings, NUL bytes,
broken UTF-8, YAML tags and things that are not manifests at all (absurd
nesting is test_hostile_nesting.py). Each must end in one clear
`romfs: error:` line (exit 1, with file:line:col where there is a
position), within a bounded time and memory, and leave nothing behind:
an existing image stays as it was and no depfile, cache or temporary
file appears."""
import os
import unittest

from romfs_testlib.hostile import HostileManifestCase, run_bounded


# ------------------------------------------------------------ generators

def list_bomb(levels=10, width=10):
    """A flow sequence that expands to width**levels strings ("billion
    laughs"), each level defined in place as the first item of the next."""
    node = "&a0 [" + ", ".join(['"lol"'] * width) + "]"
    for i in range(1, levels):
        node = f"&a{i} [{node}, " + ", ".join([f"*a{i - 1}"] * (width - 1)) + "]"
    return node


def map_bomb(levels=10, width=10):
    """The same with mappings: width**levels leaves under keys k0..k9."""
    node = "&m0 {" + ", ".join(f"k{j}: lol" for j in range(width)) + "}"
    for i in range(1, levels):
        node = (f"&m{i} {{k0: {node}, "
                + ", ".join(f"k{j}: *m{i - 1}" for j in range(1, width)) + "}")
    return node


class AliasBombs(HostileManifestCase):
    """libyaml's document API keeps aliases as references, and the loader
    walks only the schema's shape: a bomb must cost nothing."""

    def test_list_bomb_as_an_entry_exclude(self):
        self.expect(f"version: 1\nfiles:\n  - src: assets\n    exclude: {list_bomb()}\n",
                    "romfs: error: m.yaml:4:19: exclude pattern must be a string, not a list")

    def test_list_bomb_as_rules(self):
        self.expect(f"version: 1\nrules: {list_bomb()}\nfiles:\n  - src: assets\n",
                    "romfs: error: m.yaml:2:13: each rule must be a mapping with 'match', "
                    "not a list")

    def test_list_bomb_as_files(self):
        self.expect(f"version: 1\nfiles: {list_bomb()}\n",
                    "romfs: error: m.yaml:2:13: each entry in files must be a mapping with "
                    "'src', not a list")

    def test_list_bomb_under_an_unknown_top_level_key(self):
        unknown = ("romfs: error: m.yaml:{}:1: unknown key 'bomb' in the manifest "
                   "(known keys: version, image, rules, files, budgets)")
        self.expect(f"version: 1\nfiles:\n  - src: assets\nbomb: {list_bomb()}\n",
                    unknown.format(4))
        self.expect(f"version: 1\nbomb: {list_bomb()}\nfiles:\n  - src: assets\n",
                    unknown.format(2))
        self.expect(f"bomb: {list_bomb()}\nversion: 1\nfiles:\n  - src: assets\n",
                    unknown.format(1))

    def test_list_bomb_where_a_string_goes(self):
        self.expect(f"version: 1\nimage:\n  mpy_cross: {list_bomb()}\nfiles: []\n",
                    "romfs: error: m.yaml:3:14: image.mpy_cross must be a string, not a list")
        self.expect(f"version: 1\nfiles:\n  - src: {list_bomb()}\n",
                    "romfs: error: m.yaml:3:10: src must be a string, not a list")
        self.expect(f"version: 1\nrules:\n  - match: {list_bomb()}\n    align: 8\nfiles: []\n",
                    "romfs: error: m.yaml:3:12: rule match must be a string, not a list")

    def test_list_bomb_as_a_key(self):
        self.expect(f"version: 1\n? {list_bomb()}\n: 1\nfiles: []\n",
                    "romfs: error: m.yaml:2:3: keys in the manifest must be plain names, "
                    "not a list")

    def test_list_bomb_as_the_whole_manifest(self):
        self.expect(f"{list_bomb()}\n",
                    "romfs: error: m.yaml:1:1: manifest must be a mapping with 'version' and "
                    "'files', not a list")

    def test_list_bomb_as_the_version(self):
        # The message reads "unsupported manifest version 'a list'", as if
        # the version were the string "a list"; only its place is pinned.
        self.expect_match(f"version: {list_bomb()}\nfiles: []\n",
                          r"^romfs: error: m\.yaml:1:10: .*version")

    def test_mapping_bomb(self):
        self.expect(f"version: 1\nfiles: [{map_bomb()}]\n",
                    "romfs: error: m.yaml:2:14: unknown key 'k0' in a files entry "
                    "(known keys: src, dst, exclude, align, mpy)")
        self.expect(f"version: 1\nimage: {map_bomb()}\nfiles: []\n",
                    "romfs: error: m.yaml:2:13: unknown key 'k0' in image "
                    "(known keys: size, align, target, mpy, mpy_cross, default_excludes, partition, warn_at, mpy_abi, mpy_args, march)")

    def test_an_alias_to_itself(self):
        # A recursive node: anything that walked it would never end.
        self.expect("version: 1\nfiles: &x [*x]\n",
                    "romfs: error: m.yaml:2:8: each entry in files must be a mapping with "
                    "'src', not a list")
        self.expect("version: 1\nfiles:\n  - src: assets\n    exclude: &x [*x]\n",
                    "romfs: error: m.yaml:4:14: exclude pattern must be a string, not a list")

    # Counted in the text (a million values), through aliases (a million
    # visits), or as the glob patterns they make (4096).
    LIMIT = (r"^romfs: error: m\.yaml:\d+:\d+: manifest "
             r"(has more than 1000000 values|refers to more than 1000000 values through its aliases"
             r"|has more than 4096 glob patterns \(rules and excludes, each alias counted\))")

    def test_many_aliases_hit_the_value_limit(self):
        """Flat lists of aliases to one valid value: linear in the text, but
        each counts, and a million is the limit. (Where it is reported,
        the first value or the millionth, is the tool's choice.)"""
        self.expect_match("version: 1\nrules:\n  - &r {match: '*.txt', align: 8}\n"
                          + "  - *r\n" * 400_000 + "files:\n  - src: assets\n", self.LIMIT)
        self.expect_match("version: 1\nfiles:\n  - src: assets\n    exclude: [&g '*.tmp', "
                          + "*g, " * 1_200_000 + "]\n", self.LIMIT)

    def test_16_mib_of_aliases_to_one_entry(self):
        """5.6 million aliases in a manifest just under 16 MiB: the value
        limit, not an allocation sized by the list (which fails first in
        512 MiB)."""
        text = "version: 1\nfiles: [&x a, " + "*x," * (((16 << 20) - 100) // 3) + "]\n"
        self.expect_match(text, self.LIMIT)


class HugeManifests(HostileManifestCase):
    TOO_BIG = ("romfs: error: m.yaml: the manifest is larger than 16 MiB; "
               "is this the right file?")

    def test_a_50_mb_comment(self):
        self.expect("version: 1\nfiles: []\n#" + "x" * (50 << 20) + "\n", self.TOO_BIG)

    def test_500k_entries(self):
        entries = "".join(f"  - src: assets/f{i:07d}_with_a_longer_name.txt\n"
                          for i in range(500_000))
        self.expect("version: 1\nfiles:\n" + entries, self.TOO_BIG)

    def test_an_endless_device(self):
        self.expect(None, "romfs: error: /dev/zero: the manifest is larger than 16 MiB; "
                          "is this the right file?", name="/dev/zero")

    def test_16_mib_of_tiny_values(self):
        """Eight million one-letter values in 16 MiB: the manifest is within
        the size limit but ten times over the value limit, and must be
        refused for that, in bounded memory (not after building a document
        of 1.4 GB)."""
        text = "version: 1\nfiles: [" + "a," * (((16 << 20) - 100) // 2) + "]\n"
        self.expect_match(text, r"^romfs: error: m\.yaml:\d+:\d+: manifest has more than "
                                r"1000000 values")


class LongStrings(HostileManifestCase):
    def test_a_1_mb_src(self):
        self.expect("version: 1\nfiles:\n  - src: " + "a" * (1 << 20) + "\n",
                    "romfs: error: m.yaml:3:10: src is 1048576 bytes long; the limit is 4096")
        self.expect('version: 1\nfiles:\n  - src: "' + "a" * (1 << 20) + '"\n',
                    "romfs: error: m.yaml:3:10: src is 1048576 bytes long; the limit is 4096")
        self.expect("version: 1\nfiles:\n  - " + "a" * (1 << 20) + "\n",
                    "romfs: error: m.yaml:3:5: src is 1048576 bytes long; the limit is 4096")

    def test_a_100_kb_key(self):
        key = "k" * (100 << 10)
        # An explicit key has no length limit in YAML: the unknown key is
        # named, cut short.
        got = self.build(f"version: 1\nfiles:\n  - src: assets\n    ? {key}\n    : 1\n")
        self.assertRegex(got, r"^romfs: error: m\.yaml:4:7: unknown key 'k+\.\.\.' in a files "
                              r"entry \(known keys: src, dst, exclude, align, mpy\)$")
        # A plain or quoted key is a YAML "simple key", at most 1024
        # characters: libyaml says "could not find expected ':'", pointing
        # at the ':' itself. Only the line is pinned.
        for text in (f"version: 1\nfiles:\n  - src: assets\n    {key}: 1\n",
                     f'version: 1\nfiles:\n  - src: assets\n    "{key}": 1\n',
                     f"version: 1\n{key}: 1\nfiles: []\n"):
            with self.subTest(key=text[30:40]):
                self.assertRegex(self.build(text), r"^romfs: error: m\.yaml:[24]:\d+: ")

    def test_a_5000_byte_dst(self):
        self.expect("version: 1\nfiles:\n  - src: assets/a.txt\n    dst: " + "d" * 5000 + "\n",
                    "romfs: error: m.yaml:4:10: dst is 5000 bytes long; the limit is 4096")
        self.expect("version: 1\nfiles:\n  - src: assets/a.txt\n    dst: "
                    + "/".join(["d" * 249] * 20) + "\n",
                    "romfs: error: m.yaml:4:10: dst is 4999 bytes long; the limit is 4096")

    def test_a_dst_that_grows_past_the_limit_when_expanded(self):
        self.write("m.yaml", "version: 1\nfiles:\n  - src: assets/a.txt\n    dst: "
                   + "${X}" * 100 + "\n")
        self.plant_old_image()
        before = self.names()
        status, err = run_bounded("build", "m.yaml", "-o", "out.img", "-D", "X=" + "x" * 100,
                                  cwd=self.tmp)
        self.assertEqual(status, 1, err)
        self.assertEqual(err, "romfs: error: m.yaml:4:10: dst is 10000 bytes long after "
                              "expanding variables; the limit is 4096\n")
        self.assert_old_image()
        self.assertEqual(self.names(), before)


class NulBytes(HostileManifestCase):
    def test_escaped_nul_in_values(self):
        cases = [
            ('version: 1\nfiles:\n  - src: "assets/a.txt\\0x"\n',
             "romfs: error: m.yaml:3:10: src contains a NUL byte"),
            ('version: 1\nfiles:\n  - "assets/a.txt\\0x"\n',
             "romfs: error: m.yaml:3:5: src contains a NUL byte"),
            ('version: 1\nfiles:\n  - src: assets/a.txt\n    dst: "a\\0b"\n',
             "romfs: error: m.yaml:4:10: dst contains a NUL byte"),
            ('version: 1\nrules:\n  - match: "*\\0"\n    align: 8\nfiles: []\n',
             "romfs: error: m.yaml:3:12: rule match contains a NUL byte"),
            ('version: 1\nfiles:\n  - src: assets\n    exclude: ["\\0"]\n',
             "romfs: error: m.yaml:4:15: exclude pattern contains a NUL byte"),
            ('version: 1\nimage:\n  mpy_cross: "mpy-cross\\0 -v"\nfiles: []\n',
             "romfs: error: m.yaml:3:14: image.mpy_cross contains a NUL byte"),
            ('version: "1\\0"\nfiles: []\n',
             "romfs: error: m.yaml:1:10: version must be the number 1, not a quoted string"),
        ]
        for text, line in cases:
            with self.subTest(text=text):
                self.expect(text, line)

    def test_escaped_nul_in_keys(self):
        """A key with a NUL in it is not the key before the NUL: '"dst\\0x":'
        must not set dst, and '"version\\0": 2' must not be the version."""
        for text, line in (
                ('version: 1\nfiles:\n  - src: assets/a.txt\n    "dst\\0x": b.txt\n', 4),
                ('version: 1\nfiles:\n  - src: assets/a.txt\n    "src\\0x": b.txt\n', 4),
                ('version: 1\n"files\\0": [assets/a.txt]\nfiles: []\n', 2),
                ('"version\\0": 1\nfiles: []\n', 1)):
            with self.subTest(text=text):
                got = self.build(text)
                self.assertRegex(got, rf"^romfs: error: m\.yaml:{line}:\d+: .*NUL")

    def test_raw_nul_bytes(self):
        for text, pos in ((b"version: 1\nfiles:\n  - src: assets/a\x00.txt\n", "3:18"),
                          (b"version: 1\n# \x00\nfiles:\n  - src: assets/a.txt\n", "2:3"),
                          (b"\x00version: 1\nfiles: []\n", "1:1"),
                          (b"version: 1\nfiles: []\n\x00", "3:1")):
            with self.subTest(text=text):
                self.expect(text, f"romfs: error: m.yaml:{pos}: manifest is not valid UTF-8 "
                                  f"text (control characters are not allowed)")


class InvalidUtf8(HostileManifestCase):
    def test_bad_bytes(self):
        cases = [
            (b"version: 1\nfiles:\n  - src: assets/\xff.txt\n", "3:17",
             "invalid leading UTF-8 octet"),
            (b"version: 1\n# \xff\xfe\nfiles: []\n", "2:3", "invalid leading UTF-8 octet"),
            # overlong encodings of '/'
            (b"version: 1\nfiles:\n  - src: assets/\xc0\xaf.txt\n", "3:17",
             "invalid length of a UTF-8 sequence"),
            (b"version: 1\nfiles:\n  - src: assets/\xe0\x80\xaf.txt\n", "3:17",
             "invalid length of a UTF-8 sequence"),
            # U+D800, a lone surrogate, encoded in UTF-8
            (b"version: 1\nfiles:\n  - src: assets/\xed\xa0\x80.txt\n", "3:17",
             "invalid Unicode character"),
            (b"version: 1\nfiles:\n  - src: assets/a.txt\n    dst: \xed\xa0\x80.txt\n", "4:10",
             "invalid Unicode character"),
            # above U+10FFFF
            (b"version: 1\nfiles:\n  - src: assets/a.txt\n    dst: \xf4\x90\x80\x80\n", "4:10",
             "invalid Unicode character"),
            # a sequence cut short by the end of the line
            (b"version: 1\nfiles:\n  - src: assets/a.txt\n    dst: x\xe2\x82\n", "4:13",
             "invalid trailing UTF-8 octet"),
        ]
        for text, pos, why in cases:
            with self.subTest(text=text):
                self.expect(text, f"romfs: error: m.yaml:{pos}: manifest is not valid UTF-8 "
                                  f"text ({why})")

    def test_escaped_lone_surrogate(self):
        self.expect(b'version: 1\nfiles:\n  - src: assets/a.txt\n    dst: "\\ud800.txt"\n',
                    "romfs: error: m.yaml:4:13: YAML syntax error: found invalid Unicode "
                    "character escape code while parsing a quoted scalar")


class NotAManifest(HostileManifestCase):
    EMPTY = "romfs: error: m.yaml:1:1: manifest is empty (it needs 'version: 1' and 'files')"

    def test_a_directory(self):
        os.mkdir(self.path("m.yaml"))
        self.expect(None, "romfs: error: m.yaml: the manifest is a directory, not a YAML file")

    def test_missing(self):
        self.expect(None, "romfs: error: m.yaml: cannot read the manifest: "
                          "No such file or directory")

    def test_unreadable(self):
        """Needs a user that the mode shuts out: as root, run as nobody."""
        self.write("m.yaml", "version: 1\nfiles: []\n", mode=0)
        user = 65534 if os.geteuid() == 0 else None
        self.expect(None, "romfs: error: m.yaml: cannot read the manifest: Permission denied",
                    as_user=user)

    def test_empty(self):
        self.expect(b"", self.EMPTY)
        self.expect(b"# just a comment\n# and another\n", self.EMPTY)
        self.expect(b"\n\n   \n", self.EMPTY)

    def test_an_empty_document(self):
        # "---" alone is one document holding null; romfs calls it "not a
        # string" rather than empty. Only the place is pinned.
        self.expect_match(b"---\n", r"^romfs: error: m\.yaml:[12]:1: manifest ")

    def test_two_documents(self):
        self.expect(b"version: 1\nfiles: []\n---\nversion: 1\nfiles: []\n",
                    "romfs: error: m.yaml:3:1: manifest holds more than one YAML document")
        self.expect(b"version: 1\nfiles: []\n---\n",
                    "romfs: error: m.yaml:3:1: manifest holds more than one YAML document")
        self.expect(b"version: 1\nfiles: []\n---\n[oops\n",
                    "romfs: error: m.yaml:5:1: YAML syntax error: did not find expected ',' "
                    "or ']' while parsing a flow sequence")

    def test_yaml_tags_are_refused(self):
        """romfs reads plain data: a tag such as !!python/object asks for
        something it does not do, and must not be silently dropped."""
        cases = [
            (b"version: 1\nfiles:\n  - src: !!python/object:os.system assets/a.txt\n", 3),
            (b'version: 1\nfiles: !!python/object/apply:os.system ["echo hi"]\n', 2),
            (b"--- !!python/object:__main__.Manifest\nversion: 1\nfiles: []\n", 1),
            (b"%TAG ! tag:example.com,2000:\n---\nversion: 1\nfiles: [!foo assets/a.txt]\n", 4),
        ]
        for text, line in cases:
            with self.subTest(text=text):
                got = self.build(text)
                self.assertRegex(got, rf"^romfs: error: m\.yaml:{line}:\d+: .*tag")

    def test_undefined_alias(self):
        self.expect(b"version: 1\nfiles: *nope\n",
                    "romfs: error: m.yaml:2:8: YAML syntax error: found undefined alias")

    def test_merge_keys_are_not_special(self):
        self.expect(b"version: 1\nfiles:\n  - &b {src: assets/a.txt}\n  - <<: *b\n"
                    b"    dst: b.txt\n",
                    "romfs: error: m.yaml:4:5: unknown key '<<' in a files entry "
                    "(known keys: src, dst, exclude, align, mpy)")


if __name__ == "__main__":
    unittest.main()

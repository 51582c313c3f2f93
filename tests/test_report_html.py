"""`romfs report --format html`, the raw page (test_report_html_browser
opens it in Chromium): it holds exactly the style sheet and script of
tool/outputs/report_html.{css,js} and, in JSON blocks, the JSON report
byte for byte as `--format json` gives it, whatever the names hold
(quotes, '<', '&', "</script>"), with no name turned into markup; nothing
in it names another resource; its Content-Security-Policy allows no
fetch and names the script's hash; the same report gives the same bytes;
the build's embedding step refuses a script that would end its element;
and the PNG reader the browser tests judge screenshots with decodes
every filter."""
import base64
import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import unittest
import zlib

from romfs_testlib import png
from romfs_testlib.report_page import ASSETS, AWKWARD, ReportImages, parse_page
from romfs_testlib.tool import SOURCE_DIR, readb, run


class RawPage(ReportImages, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.make_images()

    def pages(self):
        yield self.report(self.example, "--size", "64K", "--target", "n6")
        yield self.report(self.awkward)
        yield self.report(self.new, "--base", self.base, "--size", "32K")

    def test_holds_its_style_script_and_the_json_report(self):
        css = readb(os.path.join(ASSETS, "report_html.css")).decode()
        js = readb(os.path.join(ASSETS, "report_html.js")).decode()
        for path, data in self.pages():
            with self.subTest(page=os.path.basename(path)):
                parts = parse_page(readb(path).decode("utf-8"))
                self.assertEqual([text for _, text in parts.styles], ["\n" + css])
                kinds = [(attrs.get("type"), attrs.get("id")) for attrs, _ in parts.scripts]
                self.assertEqual(kinds, [("application/json", "report"),
                                         ("application/json", "facts"), (None, None)])
                self.assertEqual(parts.scripts[2][1], js)
                # The JSON block parses back to the JSON report: escaping
                # kept every name and let none end the element.
                self.assertEqual(json.loads(parts.scripts[0][1]), data)
                self.assertNotIn("<", parts.scripts[0][1] + parts.scripts[1][1])
                facts = json.loads(parts.scripts[1][1])
                self.assertEqual(len(facts["file_dir"]), len(data["files"]))
                self.assertEqual(len(facts["dir_parent"]), len(data["dirs"]))

    def test_awkward_names_stay_data(self):
        path, data = self.report(self.awkward)
        paths = {f["path"] for f in data["files"]}
        for name in AWKWARD:
            self.assertIn(name, paths)
        parts = parse_page(readb(path).decode("utf-8"))
        # Only the page's own elements: no name became markup.
        self.assertEqual(sorted({t for t, _ in parts.tags}),
                         ["body", "head", "html", "main", "meta", "noscript", "p", "script",
                          "style", "title"])
        self.assertEqual(len(parts.scripts), 3)

    def test_names_no_other_resource(self):
        for path, _ in self.pages():
            with self.subTest(page=os.path.basename(path)):
                text = readb(path).decode("utf-8")
                parts = parse_page(text)
                for tag, attrs in parts.tags:
                    self.assertNotIn(tag, ("link", "img", "iframe", "object", "embed", "base",
                                           "form", "audio", "video", "source", "frame"))
                    for name in ("src", "href", "srcset", "action", "poster", "data", "background"):
                        self.assertNotIn(name, attrs, f"<{tag}> has {name}=")
                code = "".join(t for _, t in parts.styles) + parts.scripts[2][1]
                for pattern in (r"url\s*\(", r"@import", r"https?:", r"//[a-z0-9.-]+\.[a-z]{2,}/",
                                r"\bfetch\s*\(", r"XMLHttpRequest", r"WebSocket", r"EventSource",
                                r"sendBeacon", r"\.src\s*=", r"\.href\s*=", r"import\s*\(",
                                r"@font-face", r"\beval\s*\(", r"new Function"):
                    self.assertIsNone(re.search(pattern, code, re.I), pattern)
                # Nothing outside the JSON blocks names a URL either.
                outside = re.sub(r'<script type="application/json" id="\w+">.*?</script>', "",
                                 text, flags=re.S)
                self.assertIsNone(re.search(r"(src|href)\s*=", outside, re.I))

    def test_policy_allows_no_fetch_and_only_this_script(self):
        path, _ = self.report(self.example)
        text = readb(path).decode("utf-8")
        parts = parse_page(text)
        policies = [a["content"] for t, a in parts.tags
                    if t == "meta" and a.get("http-equiv", "").lower() == "content-security-policy"]
        self.assertEqual(len(policies), 1)
        rules = dict((r.split()[0], r.split()[1:]) for r in policies[0].split(";") if r.strip())
        self.assertEqual(rules["default-src"], ["'none'"])
        digest = base64.b64encode(hashlib.sha256(parts.scripts[2][1].encode()).digest()).decode()
        self.assertEqual(rules["script-src"], [f"'sha256-{digest}'"])
        self.assertNotIn("unsafe-eval", policies[0])
        # The policy comes before anything it must govern.
        self.assertLess(text.index("Content-Security-Policy"), text.index("<style>"))

    def test_same_report_same_bytes(self):
        for args in ((self.example, "--size", "64K"), (self.new, "--base", self.base)):
            first = run("report", *args, "--format", "html", check=0).stdout
            again = run("report", *args, "--format", "html", check=0).stdout
            self.assertEqual(first, again)
            path, _ = self.report(*args)
            self.assertEqual(readb(path), first)

    def test_embedding_refuses_text_that_ends_the_element(self):
        cmake = shutil.which("cmake")
        if cmake is None:
            self.skipTest("cmake not found")
        script = os.path.join(SOURCE_DIR, "tool", "embed_text.cmake")
        src = os.path.join(self.dir, "bad.js")
        out = os.path.join(self.dir, "bad.c")
        for text, ok in (("let a = 1; // fine: '<' alone, '/script'\n", True),
                         ("let s = '</SCRIPT>';\n", False)):
            with open(src, "w") as f:
                f.write(text)
            proc = subprocess.run([cmake, f"-DINPUT={src}", f"-DOUTPUT={out}", "-DNAME=x",
                                   "-DHEADER=x.h", "-DFORBID=</script", "-P", script],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(proc.returncode == 0, ok, proc.stderr)
            if ok:
                c = readb(out).decode()
                values = [int(v, 16) for v in re.findall(r"0x([0-9a-f]{2}),", c)]
                self.assertEqual(bytes(values), text.encode())
                self.assertIn(f"x_len = {len(text.encode())};", c)
            else:
                self.assertIn("</script", proc.stderr)


# ---- In the browser ----



def encode_png(rows, channels, filters):
    """A PNG of `rows` (lists of samples), each row filtered with
    filters[y] (0 to 4), as an encoder may: to check the decoder the
    browser tests judge screenshots with."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    def paeth(a, b, c):
        p = a + b - c
        return min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]

    raw, prev = bytearray(), [0] * len(rows[0])
    for row, f in zip(rows, filters):
        out = []
        for i, v in enumerate(row):
            left = row[i - channels] if i >= channels else 0
            up_left = prev[i - channels] if i >= channels else 0
            guess = (0, left, prev[i], (left + prev[i]) >> 1, paeth(left, prev[i], up_left))[f]
            out.append((v - guess) & 255)
        raw += bytes([f]) + bytes(out)
        prev = row
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    ihdr = struct.pack(">IIBBBBB", len(rows[0]) // channels, len(rows), 8, colour, 0, 0, 0)
    return png.SIGNATURE + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw))) + \
        chunk(b"IEND", b"")


class PngReader(unittest.TestCase):
    def test_every_filter_decodes_to_the_pixels(self):
        rng = random.Random(5)
        for channels in (1, 3, 4):
            # Enough rows of each filter that Paeth's ties between its
            # up and up-left guesses (broken in a fixed order) come up.
            rows = [[rng.randrange(256) for _ in range(33 * channels)] for _ in range(60)]
            data = encode_png(rows, channels, [y % 5 for y in range(60)])
            self.assertEqual(png.header(data), (33, 60, 8, {1: 0, 3: 2, 4: 6}[channels], 0))
            w, h, n, got = png.pixels(data)
            self.assertEqual((w, h, n), (33, 60, channels))
            self.assertEqual([list(r) for r in got], rows)

    def test_a_flat_picture_has_one_colour(self):
        data = encode_png([[200, 10, 10] * 6 for _ in range(4)], 3, [0, 1, 2, 4])
        self.assertEqual(png.colours(data), {(200, 10, 10): 24})

    def test_damage_is_seen(self):
        data = bytearray(encode_png([[1, 2, 3] * 2] * 2, 3, [0, 0]))
        data[-20] ^= 1
        with self.assertRaises(png.PngError):
            png.pixels(bytes(data))
        with self.assertRaises(png.PngError):
            png.header(b"GIF89a")


if __name__ == "__main__":
    unittest.main()

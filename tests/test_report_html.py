"""`romfs report --format html`, the raw page (test_report_html_browser
opens it in Chromium): it holds exactly the style sheet and script of
tool/outputs/report_html.{css,js} and, in JSON blocks, the JSON report
byte for byte as `--format json` gives it, whatever the names hold
(quotes, '<', '&', "</script>"), with no name turned into markup; nothing
in it names another resource; its Content-Security-Policy allows no
fetch and names the script's hash; the same report gives the same bytes;
and the build's embedding step refuses a script that would end its
element."""
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import unittest

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


if __name__ == "__main__":
    unittest.main()

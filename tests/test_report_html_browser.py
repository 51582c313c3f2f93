"""`romfs report --format html` in headless Chromium, driven over its
DevTools protocol (romfs_testlib/chromium.py), after the page's script
ran: every file of the image is a rectangle of the map and a row of the
table exactly once; the rectangles' bytes add up to the image, to each
directory's total and, with free space, to the capacity; within a
directory areas are proportional to bytes, and rectangles stay inside
their directory's frame without overlapping; the diff marks added and
changed files on the map and lists every change, largest first, removed
files too; pointing at a rectangle and clicking it show its path, size,
offset and alignment; the keyboard reaches the map and zooms in and out;
the page requests nothing but itself; entries of a hostile image are
placed by the directory holding them (a report of 40,000 files is
test_report_html_large's, its own entry so that ctest runs it beside
these). Screenshots are checked as PNGs (decoded here:
not blank, and holding the colours of the kinds on the map) and kept in
$ROMFS_TEST_ARTIFACTS when it is set.

Without Chromium (ROMFS_CHROMIUM, or chromium on PATH) the module is
reported as skipped (exit status 77, which ctest shows as "Skipped");
scripts/setup-deps test installs it."""
import json
import os
import shutil
import sys
import unittest

from romfs_testlib import chromium, png, reference_writer
from romfs_testlib.report_page import (KIND_RGB, ReportImages, ancestors, artifacts_dir,
                                       files_of, parent)
from romfs_testlib.tool import ScratchTestCase, readb, run

CHROMIUM = chromium.find()
if CHROMIUM is None:
    print("SKIPPED: no Chromium (install it with scripts/setup-deps test, or set "
          "ROMFS_CHROMIUM=/path/to/chromium, to render the report page)")
    sys.exit(77)

# The page's model, read from the rendered DOM: every rectangle of the
# map (position from the layout the browser did, relative to the map),
# the rows of the tables, the totals bar and the diff's numbers.
READ_PAGE = r"""(() => {
  const map = document.getElementById("map");
  const m = map.getBoundingClientRect();
  const box = (el) => { const r = el.getBoundingClientRect();
    return [r.left - m.left - map.clientLeft, r.top - m.top - map.clientTop, r.width, r.height]; };
  const d = (el, k) => (k in el.dataset ? el.dataset[k] : null);
  const leaves = [...map.querySelectorAll(":scope > .r")].map((el) => ({
    path: d(el, "path"), own: d(el, "own"), dir: d(el, "dir"), agg: d(el, "agg"),
    files: d(el, "files"), free: d(el, "free") !== null, diff: d(el, "diff"),
    bytes: Number(el.dataset.bytes), rect: box(el), cls: el.className,
    badge: el.querySelector(".badge") ? el.querySelector(".badge").textContent : null,
    focusable: el.tabIndex >= 0 }));
  const groups = [...map.querySelectorAll(":scope > .g")].map((el) => ({
    dir: el.dataset.dir, bytes: Number(el.dataset.bytes), rect: box(el),
    label: el.querySelector(".gl") ? el.querySelector(".gl").textContent : null }));
  const rows = (sel) => [...document.querySelectorAll(sel)];
  return {
    W: map.clientWidth, H: map.clientHeight, leaves, groups,
    others: map.querySelectorAll(":scope > :not(.r):not(.g)").length,
    table: rows("#files tr[data-path]").map((tr) => tr.dataset.path),
    tableText: rows("#files tr[data-path] td.p").map((td) => td.textContent),
    dirRows: rows("#dirs tr[data-dir]").map((tr) => [tr.dataset.dir, tr.cells[1].textContent]),
    changes: rows("#changes tr[data-path]").map((tr) =>
      [tr.dataset.change, tr.dataset.path, tr.cells[1].textContent, tr.cells[4].textContent]),
    bar: rows("#bar [data-part]").map((s) => [s.dataset.part, Number(s.dataset.bytes)]),
    summary: document.getElementById("summary").textContent,
    title: document.title, h1: document.querySelector("h1").textContent,
    delta: document.getElementById("delta") ? Number(document.getElementById("delta").dataset.delta) : null,
    blocks: document.getElementById("blocks") ? [Number(document.getElementById("blocks").dataset.blocksChanged),
                                                 Number(document.getElementById("blocks").dataset.blocks)] : null,
    culled: document.getElementById("culled").textContent,
    renderMs: Number(document.documentElement.dataset.renderMs),
  };
})()"""

# Elements of the rendered page that point at anything: attributes that
# load or link, and CSS images (the hatching is gradients, not url()).
POINTERS = r"""(() => {
  const out = [];
  for (const el of document.querySelectorAll("*")) {
    for (const a of ["src", "href", "srcset", "action", "poster", "data", "background", "xlink:href"]) {
      if (el.hasAttribute(a)) out.push(el.tagName + " " + a + "=" + el.getAttribute(a));
    }
    const bg = getComputedStyle(el).backgroundImage;
    if (/url\(/i.test(bg)) out.push(el.tagName + " background " + bg);
  }
  for (const t of ["link", "img", "iframe", "object", "embed", "base", "form", "video", "audio"]) {
    if (document.getElementsByTagName(t).length) out.push("<" + t + ">");
  }
  return out.concat(performance.getEntriesByType("resource").map((e) => "resource " + e.name));
})()"""


class PageChecks:
    """What the rendered page must hold, as READ_PAGE reads it."""

    def check_every_file_once(self, data, page):
        """Each file one rectangle of the map and one row of the table."""
        want = sorted(f["path"] for f in data["files"])
        self.assertEqual(len(set(want)), len(want), "the test needs distinct paths")
        on_map = sorted(l["path"] for l in page["leaves"] if l["path"] is not None)
        self.assertEqual(on_map, want, "the map's files")
        self.assertEqual(sorted(page["table"]), want, "the table's rows")
        self.assertEqual(sorted(page["tableText"]), want, "the table's text")
        self.assertEqual([l for l in page["leaves"] if l["agg"] is not None], [],
                         "no file of a small image is grouped away")
        self.assertEqual(page["others"], 0)
        self.assertTrue(all(l["focusable"] for l in page["leaves"]))

    def check_bytes_add_up(self, data, page, complete=True):
        """The rectangles' bytes: the image's, and with free space the
        capacity's; each directory's (for every one when `complete`, else
        for those drawn as frames); each file's data, metadata and
        padding. The totals bar shows the same numbers."""
        t = data["totals"]
        leaves = page["leaves"]
        image = sum(l["bytes"] for l in leaves if not l["free"])
        self.assertEqual(image, t["image"], "the rectangles' bytes are the image's")
        self.assertEqual(t["data"] + t["metadata"] + t["padding"], t["image"])
        free = [l["bytes"] for l in leaves if l["free"]]
        bar = dict(page["bar"])
        self.assertEqual((bar["data"], bar["metadata"], bar["padding"]),
                         (t["data"], t["metadata"], t["padding"]))
        if t["capacity"] is not None and t["free"] > 0:
            self.assertEqual(free, [t["capacity"] - t["image"]])
            self.assertEqual(sum(bar.values()), t["capacity"])
        else:
            self.assertEqual(free, [])
            self.assertEqual(sum(bar.values()), t["image"])
        # Per directory: everything drawn below it is its total.
        below = {}
        for l in leaves:
            if l["free"]:
                continue
            home = parent(l["path"]) if l["path"] is not None else l["dir"]
            for d in ancestors(home):
                below[d] = below.get(d, 0) + l["bytes"]
        totals = {d["path"]: d["total"] for d in data["dirs"]}
        for g in page["groups"]:
            self.assertEqual(g["bytes"], totals[g["dir"]], g["dir"])
            self.assertEqual(below.get(g["dir"], 0), totals[g["dir"]], g["dir"])
        if complete:
            self.assertEqual(below, totals)
        # A file's rectangle is its data, metadata and padding.
        by_path = {f["path"]: f for f in data["files"]}
        for l in leaves:
            if l["path"] is not None:
                f = by_path[l["path"]]
                self.assertEqual(l["bytes"], f["data"] + f["metadata"] + f["padding"])

    def check_geometry(self, page, pairwise=True):
        """Areas in proportion to bytes within each frame; rectangles in
        their frame and apart from each other; the map covered."""
        W, H = page["W"], page["H"]
        eps = 0.6
        frames = {g["dir"]: g for g in page["groups"]}
        tops = [l for l in page["leaves"] if l["free"]] + ([frames[""]] if "" in frames else [])
        self.assertAlmostEqual(sum(r["rect"][2] * r["rect"][3] for r in tops) / (W * H), 1, delta=0.01)
        for r in tops:
            x, y, w, h = r["rect"]
            self.assertTrue(-eps <= x and -eps <= y and x + w <= W + eps and y + h <= H + eps, r)
        if len(tops) == 2:
            (a, b) = tops
            self.assertAlmostEqual((a["rect"][2] * a["rect"][3]) / (b["rect"][2] * b["rect"][3]),
                                   a["bytes"] / b["bytes"], delta=0.02 * a["bytes"] / b["bytes"])
        members = {}
        for l in page["leaves"]:
            if not l["free"]:
                members.setdefault(parent(l["path"]) if l["path"] is not None else l["dir"], []).append(l)
        for g in page["groups"]:
            if g["dir"]:
                members.setdefault(parent(g["dir"]), []).append(g)
        for d, kids in members.items():
            fx, fy, fw, fh = frames[d]["rect"]
            for k in kids:
                x, y, w, h = k["rect"]
                self.assertTrue(fx - eps <= x and fy - eps <= y and x + w <= fx + fw + eps
                                and y + h <= fy + fh + eps, (d, k))
            sized = [k for k in kids if k["rect"][2] * k["rect"][3] >= 60]
            if len(sized) >= 2:
                density = [k["rect"][2] * k["rect"][3] / k["bytes"] for k in sized]
                mid = sorted(density)[len(density) // 2]
                for k, v in zip(sized, density):
                    self.assertAlmostEqual(v / mid, 1, delta=0.04, msg=(d, k))
            if pairwise:
                for i, a in enumerate(kids):
                    for b in kids[i + 1:]:
                        ax, ay, aw, ah = a["rect"]
                        bx, by, bw, bh = b["rect"]
                        overlap_w = min(ax + aw, bx + bw) - max(ax, bx)
                        overlap_h = min(ay + ah, by + bh) - max(ay, by)
                        self.assertFalse(overlap_w > eps and overlap_h > eps, (a, b))


class RenderedPage(ReportImages, PageChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.make_images()
        cls.browser = chromium.Browser(CHROMIUM, cls.dir, timeout=90)
        cls.addClassCleanup(cls.browser.close)
        cls.pages = {
            "example": cls.report(cls.example, "--size", "64K", "--target", "n6", tag="example"),
            "awkward": cls.report(cls.awkward, tag="awkward"),
            "diff": cls.report(cls.new, "--base", cls.base, "--size", "48K", tag="diff"),
        }

    def load(self, name, width=1280, height=900):
        """Opens one of the pages and waits for its script; returns its
        JSON report and what READ_PAGE reads."""
        path, data = self.pages[name]
        self.browser.events.clear()
        self.url = self.browser.open(path, width, height)
        try:
            state = self.browser.wait_for("document.documentElement.dataset.state", timeout=30)
        except chromium.BrowserError as e:
            raise AssertionError(f"{e}; the page logged {self.browser.console_errors()}") from None
        self.assertEqual(state, "ready", self.browser.evaluate("document.documentElement.dataset.error"))
        self.assertEqual(self.browser.console_errors(), [])
        return data, self.browser.evaluate(READ_PAGE)

    # -- every file, once --

    def test_every_file_is_on_the_map_and_in_the_table_once(self):
        for name in ("example", "awkward", "diff"):
            with self.subTest(page=name):
                data, page = self.load(name)
                self.check_every_file_once(data, page)
                self.assertEqual(page["title"], "romfs report: " + data["image"])
                self.assertIn(data["image"], page["h1"])

    def test_every_directory_is_a_labelled_frame(self):
        data, page = self.load("awkward")
        self.assertEqual(sorted(g["dir"] for g in page["groups"]), sorted(d["path"] for d in data["dirs"]))
        for g in page["groups"]:
            if g["rect"][2] >= 60 and g["rect"][3] >= 40:
                name = g["dir"].rsplit("/", 1)[-1] + "/" if g["dir"] else "/"
                self.assertTrue(g["label"].startswith(name), (g["label"], name))
        self.assertEqual(sorted(r[0] for r in page["dirRows"]), sorted(d["path"] for d in data["dirs"]))

    # -- the numbers add up --

    def test_rectangles_add_up_to_the_image_and_each_directory(self):
        for name in ("example", "awkward", "diff"):
            with self.subTest(page=name):
                data, page = self.load(name)
                self.check_bytes_add_up(data, page)

    def test_areas_are_bytes_and_rectangles_nest(self):
        for name, width in (("example", 1280), ("awkward", 1280), ("awkward", 700), ("diff", 1000)):
            with self.subTest(page=name, width=width):
                _, page = self.load(name, width)
                self.check_geometry(page)

    # -- the diff --

    def test_diff_marks_changes_on_the_map_and_lists_them(self):
        data, page = self.load("diff")
        diff = data["diff"]
        base_files, new_files = files_of(self.base_tree), files_of(self.new_tree)
        added = sorted(set(new_files) - set(base_files))
        removed = sorted(set(base_files) - set(new_files))
        changed = sorted(p for p in set(base_files) & set(new_files) if base_files[p] != new_files[p])
        self.assertEqual((sorted(diff["added"]), sorted(diff["removed"])), (added, removed))
        self.assertEqual(sorted(c["path"] for c in diff["changed"]), changed)
        self.assertTrue(added and removed and changed)
        marks = {l["path"]: (l["diff"], l["badge"]) for l in page["leaves"] if l["path"] is not None}
        for p in added:
            self.assertEqual(marks[p], ("added", "+"), p)
        for p in changed:
            self.assertEqual(marks[p], ("changed", "\u0394"), p)
        for p in set(new_files) - set(added) - set(changed):
            self.assertEqual(marks[p], (None, None), p)
        for p in removed:
            self.assertNotIn(p, marks, "a removed file is not on the map")
        # The list: every change once, largest first, with its delta.
        rows = page["changes"]
        self.assertEqual(sorted((w, p) for w, p, _, _ in rows),
                         sorted([("added", p) for p in added] + [("removed", p) for p in removed]
                                + [("changed", p) for p in changed]))
        for _, p, text, _ in rows:
            self.assertEqual(text, p)
        size = lambda files, p: len(files.get(p, b"")) if p in files else 0
        deltas = [size(new_files, p) - size(base_files, p) for _, p, _, _ in rows]
        self.assertEqual([abs(d) for d in deltas], sorted((abs(d) for d in deltas), reverse=True))
        for (_, _, _, shown), d in zip(rows, deltas):
            self.assertEqual(shown.replace(",", "").replace("\u2212", "-").replace("\u00b1", ""),
                             ("+" if d > 0 else "") + str(d))
        self.assertEqual(page["delta"], diff["delta"])
        self.assertEqual(page["delta"], os.path.getsize(self.new) - os.path.getsize(self.base))
        self.assertEqual(page["blocks"], [diff["blocks_changed"], diff["blocks"]])
        self.assertIn("since the base", page["summary"])

    # -- pointing, clicking, the keyboard --

    def centre_of(self, selector):
        """The viewport coordinates of an element's centre, scrolled into view."""
        return self.browser.evaluate(f"""(() => {{
            const el = document.querySelector({json.dumps(selector)});
            el.scrollIntoView({{block: "center"}});
            const r = el.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2];
        }})()""")

    def mouse(self, kind, x, y):
        params = {"type": kind, "x": x, "y": y, "button": "left" if kind != "mouseMoved" else "none",
                  "clickCount": 1 if kind != "mouseMoved" else 0}
        self.browser.call("Input.dispatchMouseEvent", params)

    def key(self, key, code=None, vk=None):
        for kind in ("rawKeyDown", "keyUp"):
            self.browser.call("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": code or key,
                                                         "windowsVirtualKeyCode": vk or 0})

    def test_pointing_and_clicking_show_what_a_rectangle_is(self):
        data, page = self.load("example")
        for f in data["files"]:
            with self.subTest(path=f["path"]):
                sel = f'#map [data-path="{f["path"]}"]'
                x, y = self.centre_of(sel)
                self.mouse("mouseMoved", x, y)
                tip = self.browser.evaluate(
                    "[getComputedStyle(document.getElementById('tip')).display, "
                    "document.getElementById('tip').textContent]")
                self.assertEqual(tip[0], "block")
                for text in (f["path"], f"{f['size']:,} bytes", f"{f['offset']:,} ({f['offset']:#x})",
                             f"{f['align']:,}-byte aligned", f"needs {f['align_needed']}",
                             "metadata", "padding"):
                    self.assertIn(text, tip[1])
                self.mouse("mousePressed", x, y)
                self.mouse("mouseReleased", x, y)
                shown = self.browser.evaluate("document.getElementById('details').textContent")
                self.assertEqual(shown, tip[1], "a click pins what the pointer showed")
                self.assertTrue(self.browser.evaluate(f"document.querySelector({json.dumps(sel)})"
                                                      ".classList.contains('sel')"))
        self.mouse("mouseMoved", 1, 1)
        self.assertEqual(self.browser.evaluate(
            "getComputedStyle(document.getElementById('tip')).display"), "none")

    def test_keyboard_focus_shows_details_and_zooms(self):
        data, page = self.load("diff")
        # Tab from the page's start reaches the map's rectangles.
        self.browser.evaluate("document.activeElement.blur(), document.body.focus()")
        for _ in range(60):
            self.key("Tab", vk=9)
            if self.browser.evaluate("!!document.activeElement.closest('#map')"):
                break
        self.assertTrue(self.browser.evaluate("!!document.activeElement.closest('#map')"))
        # Focus on a file shows its details.
        self.browser.evaluate('document.querySelector(\'#map [data-path="lib/app.py"]\').focus()')
        self.assertIn("lib/app.py", self.browser.evaluate("document.getElementById('details').textContent"))
        self.assertIn("changed", self.browser.evaluate("document.getElementById('details').textContent"))
        # Enter on a directory's label zooms into it; Escape zooms out.
        self.browser.evaluate('document.querySelector(\'#map .g[data-dir="lib"] .gl\').focus()')
        self.key("Enter", vk=13)
        zoomed = self.browser.evaluate(READ_PAGE)
        self.assertEqual(sorted(l["path"] for l in zoomed["leaves"] if l["path"]),
                         sorted(p for p in files_of(self.new_tree) if p.startswith("lib/")))
        self.assertEqual(sum(l["bytes"] for l in zoomed["leaves"]),
                         next(d["total"] for d in data["dirs"] if d["path"] == "lib"))
        self.key("Escape", vk=27)
        again = self.browser.evaluate(READ_PAGE)
        self.check_every_file_once(data, again)

    # -- nothing but itself --

    def test_requests_nothing_but_itself(self):
        for name in ("example", "awkward", "diff"):
            with self.subTest(page=name):
                self.load(name)
                self.assertEqual(self.browser.requests(), [self.url])
                self.assertEqual(self.browser.evaluate(POINTERS), [])

    # -- screenshots --

    def test_screenshots_are_real_pictures_of_the_map(self):
        keep = artifacts_dir()
        for name in ("diff", "awkward", "example"):
            with self.subTest(page=name):
                data, page = self.load(name, 1280, 900)
                shot = os.path.join(self.dir, f"report-{name}.png")
                self.browser.screenshot(shot)
                raw = readb(shot)
                self.assertEqual(png.header(raw)[:2], (1280, 900))
                seen = png.colours(raw, step=2)
                self.assertGreater(len(seen), 20, "many colours, not a blank page")
                self.assertLess(max(seen.values()) / sum(seen.values()), 0.9, "not one flat colour")
                # The map alone: the colour of every kind it holds.
                box = self.browser.evaluate("(() => { const r = document.getElementById('map')"
                                            ".getBoundingClientRect(); return [r.left + scrollX, "
                                            "r.top + scrollY, r.width, r.height]; })()")
                clip = os.path.join(self.dir, f"report-{name}-map.png")
                self.browser.screenshot(clip, {"x": box[0], "y": box[1], "width": box[2],
                                               "height": min(box[3], 1000)})
                in_map = png.colours(readb(clip), step=2)
                for kind in {f["kind"] for f in data["files"]}:
                    self.assertIn(KIND_RGB[kind], in_map, f"{kind}'s colour on the map")
                if keep:
                    shutil.copy(shot, os.path.join(keep, f"report-{name}.png"))
                    shutil.copy(clip, os.path.join(keep, f"report-{name}-map.png"))


class HostileImagePage(ScratchTestCase):
    """An image `verify` faults but `report` reads: a name holding '/', so
    that two entries share a path, and names that are not UTF-8. The page
    places each entry by the directory holding it, not by its path."""

    def test_entries_are_placed_by_their_directory(self):
        tree = {b"a/b": b"x" * 40, b"a": {b"b": b"y" * 90, b"c": b"z" * 10},
                b"bad\xff": b"q" * 5, b"ok.txt": b"fine\n"}
        image = self.write("hostile.img", reference_writer.build_from_tree(tree))
        page = self.path("hostile.html")
        run("report", image, "-o", page, check=0)
        data = json.loads(run("report", image, "--format", "json", check=0).stdout)
        with chromium.Browser(CHROMIUM, self.tmp) as b:
            b.open(page)
            self.assertEqual(b.wait_for("document.documentElement.dataset.state"), "ready")
            seen = b.evaluate(READ_PAGE)
        self.assertEqual(sorted(l["path"] for l in seen["leaves"] if l["path"]),
                         sorted(f["path"] for f in data["files"]))
        self.assertEqual(sum(l["bytes"] for l in seen["leaves"]), data["totals"]["image"])
        frame = next(g for g in seen["groups"] if g["dir"] == "a")
        total_a = next(d["total"] for d in data["dirs"] if d["path"] == "a")
        self.assertEqual(frame["bytes"], total_a)
        fx, fy, fw, fh = frame["rect"]
        inside = [l for l in seen["leaves"] if l["path"] == "a/b"
                  and fx <= l["rect"][0] and l["rect"][0] + l["rect"][2] <= fx + fw + 0.6
                  and fy <= l["rect"][1] and l["rect"][1] + l["rect"][3] <= fy + fh + 0.6]
        self.assertEqual(len(inside), 1, "one a/b in directory a, the other at the root")


if __name__ == "__main__":
    unittest.main()

"""The report page of 40,000 files in headless Chromium: its own ctest
entry, so that it runs beside test_report_html_browser's checks of the
page instead of after them. The checks of what the page shows are
test_report_html_browser's (PageChecks)."""
import json
import os
import shutil
import sys
import unittest

from test_report_html_browser import CHROMIUM, READ_PAGE, PageChecks  # exits 77 without one
from romfs_testlib import chromium, png, reference_writer
from romfs_testlib.report_page import artifacts_dir, large_tree
from romfs_testlib.tool import ScratchTestCase, run


class LargeReport(PageChecks, ScratchTestCase):
    """40,000 files: the page loads within a bounded JavaScript heap and a
    deadline that is a bound, not a measurement (a few times what a busy
    two-core machine takes); the map groups what is too small to draw, and
    the table still lists every file once."""

    JS_HEAP_MIB = 256
    DEADLINE = 150  # seconds

    def test_forty_thousand_files(self):
        tree = large_tree()
        image = self.write("large.img", reference_writer.build_from_tree(tree))
        page = self.path("large.html")
        run("report", image, "--size", "16M", "-o", page, check=0)
        data = json.loads(run("report", image, "--size", "16M", "--format", "json", check=0).stdout)
        self.assertEqual(len(data["files"]), 40_000)
        with chromium.Browser(CHROMIUM, self.tmp, js_heap_mib=self.JS_HEAP_MIB,
                              timeout=self.DEADLINE) as b:
            b.open(page, 1280, 900)
            state = b.wait_for("document.documentElement.dataset.state", timeout=self.DEADLINE)
            self.assertEqual(state, "ready", b.evaluate("document.documentElement.dataset.error"))
            seen = b.evaluate(READ_PAGE)
            metrics = b.metrics()
            self.assertLessEqual(len(seen["leaves"]) + len(seen["groups"]), 30_000,
                                 "the map is bounded")
            shot = b.screenshot(self.path("report-large.png"))
            keep = artifacts_dir()
            if keep:
                shutil.copy(self.path("report-large.png"), os.path.join(keep, "report-large.png"))
            # Zooming into a directory draws what the whole map grouped.
            labelled = {g["dir"] for g in seen["groups"] if g["label"] and g["dir"]}
            groups = [l for l in seen["leaves"] if l["agg"] is not None and l["dir"] in labelled]
            self.assertTrue(groups, "small files grouped in a directory with a label")
            grouped = groups[0]
            b.evaluate(f"document.querySelector('#map .g[data-dir={json.dumps(grouped['dir'])}] .gl').click()")
            zoomed = b.evaluate(READ_PAGE)
        sys.stderr.write(f"\n  40,000 files: script {seen['renderMs']} ms, {len(seen['leaves'])} "
                         f"rectangles, {int(metrics['Nodes'])} DOM nodes, "
                         f"{metrics['JSHeapUsedSize'] / 2**20:.0f} MiB of JS heap\n")
        want = sorted(f["path"] for f in data["files"])
        self.assertEqual(sorted(seen["table"]), want, "every file in the table, once")
        drawn = [l for l in seen["leaves"] if l["path"] is not None]
        self.assertEqual(len({l["path"] for l in drawn}), len(drawn), "no file drawn twice")
        grouped_files = sum(int(l["files"]) for l in seen["leaves"] if l["agg"] is not None)
        self.assertEqual(len(drawn) + grouped_files, 40_000, "each file drawn or counted in a group")
        self.assertGreater(grouped_files, 0)
        # Grouping takes only what there is no room for: the map still
        # draws thousands of files (room for about 20,000 rectangles).
        self.assertGreater(len(drawn), 5_000)
        self.assertIn(f"{grouped_files:,} files too small", seen["culled"])
        self.check_bytes_add_up(data, seen, complete=False)
        self.check_geometry(seen, pairwise=False)
        in_dir = [l for l in zoomed["leaves"] if l["path"] is not None]
        self.assertTrue(all(l["path"].startswith(grouped["dir"] + "/") for l in in_dir))
        self.assertGreater(len(in_dir), len([l for l in drawn if l["path"].startswith(grouped["dir"] + "/")]))
        self.assertEqual(png.header(shot)[:2], (1280, 900))


if __name__ == "__main__":
    unittest.main()

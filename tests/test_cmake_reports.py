"""romfs_add_image(... REPORT ... BASE ... PROVENANCE) in a real nested
Ninja build: the reports, the provenance record and the SBOM land beside
the image, their paths are target properties, a changed input or base
rewrites them, and a build in which nothing they say changed leaves
every one of them untouched."""
import json
import os
import subprocess

from romfs_testlib.cmake_project import Project, mtime_ns_and_inode, newer_than, steps_run
from romfs_testlib.tool import ROMFS, SOURCE_DIR, ScratchTestCase

PROJECT = """\
cmake_minimum_required(VERSION 3.20)
project(reports NONE)
include({source}/cmake/Romfs.cmake)

romfs_add_image(release MANIFEST release.yaml)
romfs_add_image(assets MANIFEST assets.yaml ALL
                REPORT html markdown json text BASE release PROVENANCE)

set(props "")
foreach(p ROMFS_REPORTS ROMFS_REPORT_HTML ROMFS_REPORT_MARKDOWN ROMFS_REPORT_JSON
          ROMFS_REPORT_TEXT ROMFS_PROVENANCE ROMFS_SBOM)
    get_target_property(v assets ${{p}})
    string(APPEND props "${{p}}=${{v}}\\n")
endforeach()
file(WRITE "${{CMAKE_BINARY_DIR}}/props.txt" "${{props}}")
"""

RELEASE = """\
version: 1
files:
  - src: old
    dst: "."
"""

ASSETS = """\
version: 1
image:
  size: 64K
files:
  - src: new
    dst: "."
"""

SUFFIXES = ("report.html", "report.md", "report.json", "report.txt", "provenance.json",
            "cdx.json")


class CMakeReports(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.write("p/CMakeLists.txt", PROJECT.format(source=SOURCE_DIR))
        self.write("p/release.yaml", RELEASE)
        self.write("p/assets.yaml", ASSETS)
        for root in ("old", "new"):
            self.write(f"p/{root}/config.json", '{"rate": 10}\n')
            self.write(f"p/{root}/lib/app.py", "print('app')\n")
        self.write("p/new/net.tflite", b"\x01" * 3000)
        self.project = Project(self.path("p"), self.path("b"))
        self.image = self.path("b", "assets.romfs")

    def out(self, suffix):
        return f"{self.image}.{suffix}"

    def stamps(self):
        return {s: mtime_ns_and_inode(self.out(s)) for s in SUFFIXES}

    def report(self):
        with open(self.out("report.json")) as f:
            return json.load(f)

    def test_reports_beside_the_image_rewritten_only_when_they_change(self):
        self.project.configure(f"-DROMFS_EXECUTABLE={ROMFS}")
        self.project.build_all()
        with open(self.path("b", "props.txt")) as f:
            props = dict(line.split("=", 1) for line in f.read().splitlines())
        reports = [self.out(s) for s in SUFFIXES[:4]]
        self.assertEqual(props["ROMFS_REPORTS"], ";".join(reports))
        self.assertEqual([props[f"ROMFS_REPORT_{k}"] for k in ("HTML", "MARKDOWN", "JSON",
                                                               "TEXT")], reports)
        self.assertEqual(props["ROMFS_PROVENANCE"], self.out("provenance.json"))
        self.assertEqual(props["ROMFS_SBOM"], self.out("cdx.json"))

        r = self.report()
        self.assertEqual(r["totals"]["capacity"], 65536)
        self.assertEqual(r["diff"]["added"], ["net.tflite"])
        self.assertEqual(r["diff"]["removed"], [])
        self.assertEqual(r["diff"]["unchanged"], 2)
        with open(self.out("report.md")) as f:
            self.assertIn("net.tflite", f.read())
        with open(self.out("report.html")) as f:
            self.assertIn("<html", f.read())
        check = subprocess.run([ROMFS, "verify", self.image, "--provenance",
                                self.out("provenance.json")], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        self.assertEqual(check.returncode, 0, check.stderr)
        with open(self.out("cdx.json")) as f:
            self.assertEqual(json.load(f)["bomFormat"], "CycloneDX")

        # Nothing changed: nothing runs, nothing is rewritten.
        before = self.stamps()
        out = self.project.build_all()
        self.assertEqual(steps_run(out), [], out)
        self.assertIn("no work to do", self.project.ninja_dry_run())

        # A touched input reruns the packer, which rewrites none of them.
        os.utime(self.path("p/new/config.json"))
        newer_than(self.path("b"), self.path("p/new/config.json"))
        self.project.build_all()
        self.assertEqual(self.stamps(), before)

        # A changed input: every report and the record say so.
        self.write("p/new/config.json", '{"rate": 20, "gain": 3}\n')
        newer_than(self.path("b"), self.path("p/new/config.json"))
        self.project.build_all()
        after = self.stamps()
        for s in SUFFIXES:
            self.assertNotEqual(after[s], before[s], s)
        self.assertEqual([c["path"] for c in self.report()["diff"]["changed"]], ["config.json"])

        # The base changes, the image does not: the reports follow the base.
        image_stamp = mtime_ns_and_inode(self.image)
        self.write("p/old/config.json", '{"rate": 20, "gain": 3}\n')
        newer_than(self.path("b"), self.path("p/old/config.json"))
        self.project.build_all()
        self.assertEqual(mtime_ns_and_inode(self.image), image_stamp)
        self.assertEqual(self.report()["diff"]["changed"], [])
        self.assertEqual(self.report()["diff"]["unchanged"], 2)
        self.assertEqual(mtime_ns_and_inode(self.out("provenance.json")),
                         after["provenance.json"])

    def test_a_report_kind_it_does_not_know_fails_the_configure(self):
        self.write("p/CMakeLists.txt", PROJECT.format(source=SOURCE_DIR).replace(
            "REPORT html markdown json text", "REPORT html pdf"))
        proc = subprocess.run(["cmake", "-S", self.path("p"), "-B", self.path("b"), "-G", "Ninja",
                               f"-DROMFS_EXECUTABLE={ROMFS}"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("romfs_add_image(assets): REPORT takes html, markdown, json or text, "
                      "not 'pdf'", " ".join(proc.stdout.split()))  # CMake wraps it

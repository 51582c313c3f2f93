"""`build --provenance` and `--sbom`, and `verify --provenance`: every
figure in the record checked against hashlib; a rebuild (from another
directory, with a cold cache) gives the same record byte for byte; a
changed input, a changed image and a missing input are each reported as
the issue asks."""
import hashlib
import json
import os
import shutil

from romfs_testlib.tool import (ScratchTestCase, error_lines, install_mpy_standin, readb, run,
                                 run_bounded)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Provenance(ScratchTestCase):
    def setUp(self):
        super().setUp()
        self.compiler = install_mpy_standin(self.write("bin/mpy-cross"))
        self.write("proj/assets/config.json", b'{"rate": 10}\n')
        self.write("proj/assets/models/net.tflite", b"\x01" * 3000)
        self.write("proj/py/lib/app.py", b"print('app')\n")
        self.write("proj/m.yaml", f"""version: 1
image:
  mpy_cross: {self.compiler}
  mpy_args: "-O2"
files:
  - src: assets
    dst: "."
  - src: py/lib
    dst: lib
    mpy: true
  - src: ${{GEN}}/gen.txt
""")
        self.write("proj/gen/gen.txt", b"generated\n")

    def build(self, out_dir="out", cwd=None):
        os.makedirs(self.path(out_dir), exist_ok=True)
        run("build", self.path("proj/m.yaml"), "-o", self.path(out_dir, "a.img"), "-q",
            "-D", f"GEN={self.path('proj/gen')}", "--provenance",
            self.path(out_dir, "a.prov.json"), "--sbom", self.path(out_dir, "a.cdx.json"),
            "--cache-dir", self.path(out_dir, "cache"), cwd=cwd or self.tmp, check=0)
        return (readb(self.path(out_dir, "a.prov.json")), readb(self.path(out_dir, "a.cdx.json")))

    def test_the_record_says_what_the_image_was_made_from(self):
        record = json.loads(self.build()[0])
        version = run("--version", check=0).stdout.decode().split()[-1]
        self.assertEqual(record["tool"], {"name": "romfs", "version": version})
        self.assertEqual(record["manifest"],
                         {"path": "m.yaml", "sha256": sha256(self.read("proj/m.yaml"))})
        self.assertEqual(record["definitions"], {"GEN": self.path("proj/gen")})
        self.assertEqual(record["mpy_cross"]["sha256"], sha256(readb(self.compiler)))
        self.assertIn("-O2", record["mpy_cross"]["arguments"])
        image = readb(self.path("out/a.img"))
        self.assertEqual(record["image"]["size"], len(image))
        self.assertEqual(record["image"]["sha256"], sha256(image))
        inputs = {i["image_path"]: i for i in record["inputs"]}
        self.assertEqual(sorted(inputs), ["config.json", "gen.txt", "lib/app.mpy",
                                          "models/net.tflite"])
        home = self.path("proj")
        for path, i in inputs.items():
            data = readb(os.path.join(home, i["path"]))
            self.assertEqual((i["size"], i["sha256"]), (len(data), sha256(data)), path)
        self.assertEqual(inputs["lib/app.mpy"]["path"], "py/lib/app.py")
        self.assertEqual(inputs["gen.txt"]["path"], "gen/gen.txt")

    def test_the_sbom_lists_every_file_with_its_hash(self):
        sbom = json.loads(self.build()[1])
        self.assertEqual((sbom["bomFormat"], sbom["specVersion"]), ("CycloneDX", "1.5"))
        self.assertRegex(sbom["serialNumber"], r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-"
                                               r"[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        image = readb(self.path("out/a.img"))
        self.assertEqual(sbom["metadata"]["component"]["hashes"],
                         [{"alg": "SHA-256", "content": sha256(image)}])
        names = sorted(c["name"] for c in sbom["components"])
        self.assertEqual(names, ["config.json", "gen.txt", "lib/app.mpy", "models/net.tflite"])
        for c in sbom["components"]:
            self.assertEqual(c["type"], "file")
            self.assertEqual(len(c["hashes"]), 1)
            self.assertEqual(c["hashes"][0]["alg"], "SHA-256")

    def test_a_rebuild_gives_the_same_record_and_sbom(self):
        first = self.build("one")
        second = self.build("two", cwd=self.path("proj"))  # another cwd, a cold cache
        self.assertEqual(json.loads(first[0])["image"], json.loads(second[0])["image"])
        # The record names the image by its file name only.
        self.assertEqual(first, second)

    def test_verify_reports_a_changed_input_a_changed_image_and_missing_inputs(self):
        self.build()
        record, image = self.path("out/a.prov.json"), self.path("out/a.img")
        proc = run("verify", image, "--provenance", record, check=0)
        self.assertIn(f"{image}: ok: the image is the one {record} records; 4 of 4 inputs "
                      "checked and the same", proc.stdout.decode())

        self.write("proj/assets/config.json", b'{"rate": 20}\n')
        proc = run("verify", image, "--provenance", record, check=1)
        now = sha256(b'{"rate": 20}\n')
        was = sha256(b'{"rate": 10}\n')
        self.assertEqual(error_lines(proc.stderr), [
            f"romfs: error: {record}: input assets/config.json differs from the record "
            f"(SHA-256 {now}, recorded {was})"])

        self.write("proj/assets/config.json", b'{"rate": 10}\n')
        data = bytearray(readb(image))
        data[-1] ^= 1
        self.write("out/a.img", bytes(data))
        proc = run("verify", image, "--provenance", record, check=1)
        lines = [l for l in error_lines(proc.stderr) if "the image is not the one" in l]
        self.assertEqual(lines, [f"romfs: error: {image}: the image is not the one {record} "
                                 f"records (SHA-256 {sha256(bytes(data))}, recorded "
                                 f"{json.loads(self.read('out/a.prov.json'))['image']['sha256']})"])

    def test_inputs_not_present_are_said_to_be_so(self):
        self.build()
        shutil.copy(self.path("out/a.img"), self.path("elsewhere.img"))
        os.makedirs(self.path("ci/deeper"))
        shutil.copy(self.path("out/a.prov.json"), self.path("ci/deeper/a.prov.json"))
        proc = run("verify", self.path("elsewhere.img"), "--provenance",
                   self.path("ci/deeper/a.prov.json"), check=0)
        self.assertIn("0 of 4 inputs checked and the same (the others are not present here)",
                      proc.stdout.decode())

    def test_a_record_that_is_not_one_is_refused(self):
        self.build()
        self.write("bad.json", b'{"hello": 1}\n')
        proc = run("verify", self.path("out/a.img"), "--provenance", self.path("bad.json"),
                   check=1)
        self.assertEqual(error_lines(proc.stderr), [
            f"romfs: error: {self.path('bad.json')}: not a romfs provenance record"])

    def test_a_record_naming_devices_and_fifos_costs_nothing(self):
        """A record is an input like any other: its inputs may name
        /dev/zero or a FIFO nobody writes to, and verify must neither read
        forever nor block."""
        self.build()
        record = json.loads(self.read("out/a.prov.json"))
        fifo = self.path("fifo")
        os.mkfifo(fifo)
        record["inputs"] = [{"path": "/dev/zero", "image_path": "z", "size": 1, "sha256": "00"},
                            {"path": fifo, "image_path": "f", "size": 1, "sha256": "00"}]
        self.write("hostile.json", json.dumps(record))
        status, stderr = run_bounded("verify", self.path("out/a.img"), "--provenance",
                                     self.path("hostile.json"), cwd=self.tmp, timeout=10)
        self.assertEqual(status, 0, stderr)

"""`romfs extract IMAGE DIR --manifest M`: adopting an image made
elsewhere. The images here come from the independent reference writer
(mpremote's layout: no alignment, so models sit wherever they fall) and
from romfs itself; the manifest written beside the tree must rebuild an
image holding exactly the same files, every model aligned as it needs,
and the very same bytes when the original was laid out as romfs would."""
import os
import random
import shutil

from romfs_testlib import image_reader, reference_writer, trees
from romfs_testlib.tool import ScratchTestCase, builtin_need, error_lines, readb, run

NAMES = ("", ".txt", ".bin", ".py", ".json", ".tflite", ".mpy")


def image_files(data):
    """{path: bytes or None (dirs)} of an image, read by the test's reader."""
    return {e.path: (None if e.kind == "dir" else e.data)
            for e in image_reader.parse(data).entries}


class AdoptManifest(ScratchTestCase):
    def adopt(self, data, manifest="out/romfs.yaml", *extra):
        self.write("given.img", data)
        run("extract", self.path("given.img"), self.path("out"), "--manifest",
            self.path(manifest), *extra, check=0)
        run("build", self.path(manifest), "-o", self.path("again.img"), "-q", check=0)
        return readb(self.path("again.img"))

    def test_random_reference_images_come_back_with_their_files_and_aligned_models(self):
        for seed in range(6):
            with self.subTest(seed=seed):
                tree = trees.random_tree(300 + seed, n_files=50, n_dirs=10, exts=NAMES)
                tree["models"] = {f"m{i}.tflite": random.Random(seed + i).randbytes(333 + i)
                                  for i in range(3)}
                given = reference_writer.build_from_tree(tree)
                again = self.adopt(given)
                self.assertEqual(image_files(again), image_files(given))
                for e in image_reader.parse(again).entries:
                    if e.kind == "file" and e.size:
                        self.assertEqual(e.offset % builtin_need(e.path), 0, e.path)
                run("verify", self.path("again.img"), check=0)
                shutil.rmtree(self.path("out"))

    def test_an_image_without_models_in_the_reference_layout_comes_back_byte_for_byte(self):
        tree = trees.random_tree(77, n_files=80, n_dirs=15,
                                 exts=("", ".txt", ".bin", ".py", ".json"))
        given = reference_writer.build_from_tree(tree)
        self.assertEqual(self.adopt(given), given)
        self.assertIn("align: 1 ", self.read("out/romfs.yaml").decode())

    def test_an_image_romfs_built_comes_back_byte_for_byte(self):
        tree = trees.random_tree(78, n_files=60, n_dirs=12, exts=NAMES)
        trees.write_tree(self.path("src"), tree)
        self.write("m.yaml", 'version: 1\nfiles:\n  - src: src\n    dst: "."\n')
        run("build", self.path("m.yaml"), "-o", self.path("built.img"), "-q", check=0)
        given = readb(self.path("built.img"))
        self.assertEqual(self.adopt(given), given)
        self.assertNotIn("align:", self.read("out/romfs.yaml").decode().split("rules:")[0])

    def test_a_model_mpremote_misaligned_gets_a_rule_and_its_alignment(self):
        given = reference_writer.build_from_tree({"a.txt": b"x", "net.tflite": b"\x01" * 100})
        self.assertNotEqual(image_reader.parse(given).files["net.tflite"].offset % 16, 0)
        again = self.adopt(given)
        text = self.read("out/romfs.yaml").decode()
        self.assertIn('  - match: "*.tflite"\n    align: 16\n', text)
        self.assertEqual(image_reader.parse(again).files["net.tflite"].offset % 16, 0)
        self.assertEqual(image_files(again), image_files(given))

    def test_target_n6_sets_the_target_and_its_alignment(self):
        given = reference_writer.build_from_tree({"a.txt": b"x", "net.tflite": b"\x01" * 100})
        again = self.adopt(given, "elsewhere/adopt.yaml", "--target", "n6")
        text = self.read("elsewhere/adopt.yaml").decode()
        self.assertIn('  target: "n6"\n', text)
        self.assertIn('  - src: "../out"\n', text)
        self.assertIn('    align: 32\n', text)
        self.assertEqual(image_reader.parse(again).files["net.tflite"].offset % 32, 0)

    def test_default_excluded_names_are_kept(self):
        tree = {".DS_Store": b"mac", "__pycache__": {"a.cpython-311.pyc": b"pyc"},
                "b~": b"backup", ".git": {"HEAD": b"ref"}, "keep.txt": b"k"}
        given = reference_writer.build_from_tree(tree)
        self.assertEqual(image_files(self.adopt(given)), image_files(given))
        self.assertIn("default_excludes: false", self.read("out/romfs.yaml").decode())

    def test_names_that_globs_and_variables_would_take_are_quoted(self):
        tree = {"we*ird$name[1].bin": b"1", "x$y[z]\\": {".tflite": b"\x02" * 50},
                "${HOME}": {"q?.tflite": b"\x03" * 70}}
        given = reference_writer.build_from_tree(tree)
        again = self.adopt(given)
        self.assertEqual(image_files(again), image_files(given))
        files = image_reader.parse(again).files
        self.assertEqual(files["x$y[z]\\/.tflite"].offset % 16, 0)
        self.assertEqual(files["${HOME}/q?.tflite"].offset % 16, 0)
        text = self.read("out/romfs.yaml").decode()
        self.assertIn(r'  - match: "/x$$y\\[z\\]\\\\/.tflite"', text)

    def test_an_image_holding_the_manifests_path_is_refused_before_extracting(self):
        given = reference_writer.build_from_tree({"romfs.yaml": b"version: 1\n"})
        self.write("given.img", given)
        proc = run("extract", self.path("given.img"), self.path("out"), "--manifest",
                   self.path("out/romfs.yaml"), check=1)
        self.assertEqual(error_lines(proc.stderr), [
            f"romfs: error: {self.path('out/romfs.yaml')}: the image holds romfs.yaml itself; "
            "write the manifest elsewhere"])
        self.assertFalse(os.path.exists(self.path("out")))

    def test_a_manifest_inside_the_tree_is_not_packed(self):
        given = reference_writer.build_from_tree({"lib": {"a.py": b"a=1\n"},
                                                  "sub": {"romfs.yaml": b"other"}})
        again = self.adopt(given, "out/lib/romfs.yaml")
        self.assertEqual(image_files(again), image_files(given))
        self.assertIn('exclude: ["/lib/romfs.yaml"]', self.read("out/lib/romfs.yaml").decode())

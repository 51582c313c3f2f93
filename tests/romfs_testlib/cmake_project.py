"""Real nested CMake projects that use romfs, for the plugin's tests."""
import os
import re
import shutil
import subprocess
import tarfile

from .tool import SOURCE_DIR

ROMFS_PARTS = ("CMakeLists.txt", "cmake", "tool", "runtime")


def copy_romfs_sources(dest):
    """A private copy of romfs's build inputs, so a test may change them
    (to rebuild the packer) without touching the real tree."""
    os.makedirs(dest)
    for part in ROMFS_PARTS:
        src = os.path.join(SOURCE_DIR, part)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, part))
        else:
            shutil.copy2(src, os.path.join(dest, part))
    return dest


def tar_romfs_sources(src, tarball):
    """romfs's sources as a release-style tarball, for FetchContent URL."""
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(src, arcname="romfs")
    return tarball


class Project:
    """A CMake project in `src`, configured into `build` with `generator`."""

    def __init__(self, src, build, generator="Ninja"):
        self.src, self.build, self.generator = src, build, generator

    def configure(self, *args):
        return self._run(["cmake", "-S", self.src, "-B", self.build, "-G", self.generator,
                          "-DCMAKE_BUILD_TYPE=Release", *args])

    def build_all(self, *targets):
        cmd = ["cmake", "--build", self.build]
        for t in targets:
            cmd += ["--target", t]
        return self._run(cmd)

    def ninja_dry_run(self):
        """What Ninja would do now (empty when nothing), with its reasons."""
        out = self._run(["ninja", "-C", self.build, "-n", "-d", "explain"])
        return out

    def _run(self, cmd):
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}")
        return proc.stdout


def packer_runs(build_output):
    """How many times the build ran the packing step for an image."""
    return len(re.findall(r"Packing ROMFS image", build_output))


def mtime_ns_and_inode(path):
    st = os.stat(path)
    return st.st_mtime_ns, st.st_ino

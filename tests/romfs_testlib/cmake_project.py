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
    """A CMake project in `src`, configured into `build` with `generator`;
    build_type None leaves CMAKE_BUILD_TYPE to the project."""

    def __init__(self, src, build, generator="Ninja", build_type="Release"):
        self.src, self.build, self.generator = src, build, generator
        self.build_type = build_type

    def configure(self, *args):
        cmd = ["cmake", "-S", self.src, "-B", self.build, "-G", self.generator]
        if self.build_type is not None:
            cmd.append(f"-DCMAKE_BUILD_TYPE={self.build_type}")
        return self._run(cmd + list(args))

    def build_all(self, *targets, parallel=None):
        """Builds `targets` (default all); parallel=N runs N jobs at once
        with either generator (make runs one unless told)."""
        cmd = ["cmake", "--build", self.build]
        if parallel:
            cmd += ["--parallel", str(parallel)]
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


def steps_run(build_output):
    """The steps a build ran, by their descriptions: Ninja's "[3/7] ..."
    lines and Make's "[ 50%] ..." lines ("Built target", which Make says of
    every target it visits, aside). Empty for a build that did nothing."""
    ninja = re.findall(r"^\[\d+/\d+\] (.*)$", build_output, re.M)
    make = re.findall(r"^\[\s*\d+%\] (.*)$", build_output, re.M)
    return ninja + [s for s in make if not s.startswith("Built target ")]


def newest_mtime_ns(root):
    """The newest mtime of any file or directory under root."""
    newest = os.stat(root).st_mtime_ns
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            newest = max(newest, os.lstat(os.path.join(dirpath, n)).st_mtime_ns)
    return newest


def newer_than(root, *paths):
    """Gives each path an mtime past everything under root (a build tree),
    for edits made right after a build. File times come from a clock that
    ticks every few milliseconds, and Ninja records a restat step that left
    its output alone with the time the step started (.ninja_lock's mtime):
    an edit within the same tick gets the same time, is not newer, and is
    not rebuilt (test_examples failed so, now and then). Every step
    rewrites .ninja_log or a depfile after it starts, so "past everything
    under root" is past that record. Sets the time instead of sleeping."""
    floor = newest_mtime_ns(root) + 1000
    for p in paths:
        st = os.stat(p)
        if st.st_mtime_ns < floor:
            os.utime(p, ns=(st.st_atime_ns, floor))


def mtime_ns_and_inode(path):
    st = os.stat(path)
    return st.st_mtime_ns, st.st_ino

"""find_package(Romfs) from one installation, on the host and under an
embedded toolchain whose CMAKE_FIND_ROOT_PATH_MODE_PACKAGE is ONLY, in the
two forms the README gives: NO_CMAKE_FIND_ROOT_PATH, or Romfs_DIR."""
import os
import shutil
import tempfile
import unittest

from romfs_testlib.cmake_project import Project, copy_romfs_sources
from romfs_testlib.tool import TMP_ROOT
from test_cmake_packages import TOOLCHAIN, PackageCase, elf_machine, project_file, target_objects


@unittest.skipIf(shutil.which("ninja") is None, "ninja not installed")
class InstalledPackage(PackageCase):
    """find_package(Romfs) from one installation, which stands on its own
    (its sources are gone), on the host and under an embedded toolchain."""

    @classmethod
    def setUpClass(cls):
        os.makedirs(TMP_ROOT, exist_ok=True)
        cls.shared = tempfile.mkdtemp(prefix=cls.__name__ + ".", dir=TMP_ROOT)
        cls.addClassCleanup(shutil.rmtree, cls.shared, ignore_errors=True)
        src = copy_romfs_sources(os.path.join(cls.shared, "romfs"))
        cls.prefix = os.path.join(cls.shared, "prefix")
        romfs = Project(src, os.path.join(cls.shared, "romfs-build"))
        romfs.build_type = "Debug"  # compiles quicker; its speed is not tested here
        romfs.configure(f"-DCMAKE_INSTALL_PREFIX={cls.prefix}", "-DROMFS_BUILD_TESTS=OFF")
        romfs.build_all()
        romfs._run(["cmake", "--install", os.path.join(cls.shared, "romfs-build")])
        shutil.rmtree(src)

    def config_dir(self):
        for root, _, names in os.walk(self.prefix):
            if "RomfsConfig.cmake" in names:
                return root
        self.fail("no RomfsConfig.cmake under " + self.prefix)

    def installed_packer(self):
        return os.path.join(self.prefix, "bin", "romfs")

    def test_find_package_after_install(self):
        build, _ = self.build_user(
            project_file("find_package(Romfs 0.1 CONFIG REQUIRED)\n"),
            f"-DCMAKE_PREFIX_PATH={self.prefix}")
        self.assert_packer(build, self.installed_packer())

    def embedded_toolchain(self):
        """The example's toolchain with a sysroot to search, as real
        embedded toolchain files have: with CMAKE_FIND_ROOT_PATH_MODE_PACKAGE
        ONLY, find_package() looks in it alone."""
        sysroot = self.path("sysroot")
        os.makedirs(sysroot)
        return self.write("toolchain.cmake", f"include({TOOLCHAIN})\n"
                                             f"set(CMAKE_FIND_ROOT_PATH {sysroot})\n")

    def cross_firmware(self, find):
        self.write("user/firmware.c", "int firmware_answer(void) { return 42; }\n")
        return project_file(find, "romfs_add_image(assets MANIFEST assets.yaml ALL)\n"
                                  "add_library(firmware STATIC firmware.c)\n"
                                  "target_link_libraries(firmware PRIVATE Romfs::reader)\n")

    def check_cross(self, build):
        self.assert_packer(build, self.installed_packer())
        objects = target_objects(build)
        self.assertTrue([o for o in objects if "reader.c." in o], objects)
        for obj in objects:
            self.assertEqual(elf_machine(obj), 40, obj)  # the reader, for ARM

    @unittest.skipIf(shutil.which("arm-none-eabi-gcc") is None, "arm-none-eabi-gcc not installed")
    def test_find_package_under_an_embedded_toolchain(self):
        # The README's form: romfs is a host package (a packer for the
        # build host, the reader as source), not one of the target's.
        build, _ = self.build_user(
            self.cross_firmware("find_package(Romfs 0.1 CONFIG REQUIRED NO_CMAKE_FIND_ROOT_PATH)\n"),
            f"-DCMAKE_TOOLCHAIN_FILE={self.embedded_toolchain()}",
            f"-DCMAKE_PREFIX_PATH={self.prefix}")
        self.check_cross(build)

    @unittest.skipIf(shutil.which("arm-none-eabi-gcc") is None, "arm-none-eabi-gcc not installed")
    def test_romfs_dir_under_an_embedded_toolchain(self):
        build, _ = self.build_user(
            self.cross_firmware("find_package(Romfs 0.1 CONFIG REQUIRED)\n"),
            f"-DCMAKE_TOOLCHAIN_FILE={self.embedded_toolchain()}",
            f"-DRomfs_DIR={self.config_dir()}")
        self.check_cross(build)


if __name__ == "__main__":
    unittest.main()

"""tests/hooks/fs_hook.so, an LD_PRELOAD shim that changes a file when the
packer opens, renames or links it, to make races deterministic."""
import os

from .tool import ASAN_BUILT, BINARY_DIR, SOURCE_DIR


def find_hook():
    """fs_hook.so: $ROMFS_FS_HOOK, else where tests/hooks/CMakeLists.txt
    builds it; None when neither has it."""
    candidates = [os.environ.get("ROMFS_FS_HOOK", "")]
    for build in (BINARY_DIR, os.path.join(SOURCE_DIR, "build")):
        candidates.append(os.path.join(build, "tests", "hooks", "fs_hook.so"))
    for c in candidates:
        if c and os.path.isfile(c):
            return os.path.abspath(c)
    return None


HOOK = find_hook()


def hook_env(call, pattern, action, n=1, log=None, **extra):
    """The environment that preloads fs_hook.so with these settings."""
    env = {"LD_PRELOAD": HOOK, "ROMFS_HOOK_CALL": call, "ROMFS_HOOK_PATH": pattern,
           "ROMFS_HOOK_ACTION": action, "ROMFS_HOOK_N": str(n)}
    if log is not None:
        env["ROMFS_HOOK_LOG"] = log
    if ASAN_BUILT:  # libasan must otherwise come first in the library list
        opts = os.environ.get("ASAN_OPTIONS", "")
        env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "verify_asan_link_order=0"
    env.update(extra)
    return env

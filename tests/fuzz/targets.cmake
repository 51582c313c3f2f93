# The fuzz targets, and what each one links: fuzz_reader the reader alone,
# as firmware links it (no tool code to lean on); the others the tool's
# layers. Shared by the libFuzzer build (CMakeLists.txt here) and the
# replays of their corpora in ctest (replay.cmake).
set(ROMFS_FUZZ_TARGETS fuzz_reader fuzz_inspect fuzz_manifest)
set(ROMFS_FUZZ_LINK_fuzz_reader romfs_reader)
set(ROMFS_FUZZ_LINK_fuzz_inspect romfs_core_internals)
set(ROMFS_FUZZ_LINK_fuzz_manifest romfs_core_internals)

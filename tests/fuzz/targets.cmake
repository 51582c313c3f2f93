# The fuzz targets, and what each one links: fuzz_reader the reader alone,
# as firmware links it (no tool code to lean on); the others the tool's
# layers. A target's source is <target>.c unless ROMFS_FUZZ_SOURCE_<target>
# says otherwise, compiled with ROMFS_FUZZ_DEFINES_<target>. Shared by the
# libFuzzer build (CMakeLists.txt here) and the replays of their corpora in
# ctest (replay.cmake).
set(ROMFS_FUZZ_TARGETS fuzz_reader fuzz_inspect fuzz_manifest fuzz_manifest_large fuzz_flash)
set(ROMFS_FUZZ_LINK_fuzz_reader romfs_reader)
set(ROMFS_FUZZ_LINK_fuzz_inspect romfs_core_internals)
set(ROMFS_FUZZ_LINK_fuzz_manifest romfs_core_internals)
# fuzz_manifest on manifests expanded from its input to up to 17 MiB.
set(ROMFS_FUZZ_LINK_fuzz_manifest_large romfs_core_internals)
set(ROMFS_FUZZ_SOURCE_fuzz_manifest_large fuzz_manifest.c)
set(ROMFS_FUZZ_DEFINES_fuzz_manifest_large ROMFS_FUZZ_EXPAND)
# The flash-file readers (HEX, UF2, DfuSe, ELF) and ESP-IDF partition tables.
set(ROMFS_FUZZ_LINK_fuzz_flash romfs_core_internals)

# romfs_fuzz_source(<target> <out-var>): the source file of a target.
function(romfs_fuzz_source t out)
    if(ROMFS_FUZZ_SOURCE_${t})
        set(${out} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${ROMFS_FUZZ_SOURCE_${t}} PARENT_SCOPE)
    else()
        set(${out} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${t}.c PARENT_SCOPE)
    endif()
endfunction()

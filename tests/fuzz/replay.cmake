# Every checked-in corpus file of every fuzz target, replayed in ctest by
# the ordinary build (any compiler; under ASan and UBSan with
# -DROMFS_SANITIZE=ON): each target's source is linked with replay.c, a
# main() that feeds it the files, instead of with libFuzzer. Included by
# tests/CMakeLists.txt.
#
# Per target <t>, two tests:
#   <t>_findings  the corpus's finding-* files (reproducers of bugs that
#                 were found), so that a regression fails a test that says
#                 so; registered when there are any at configure time
#   <t>_corpus    the whole directory, read when the test runs (a file added
#                 later is replayed without reconfiguring), finding-* first
include(${CMAKE_CURRENT_LIST_DIR}/targets.cmake)

set(ROMFS_FUZZ_CORPUS ${CMAKE_CURRENT_LIST_DIR}/corpus)
# Without AddressSanitizer, heap_hooks.c supplies the allocator hooks that
# fuzz_inspect measures the heap with (the sanitizer runtimes have them).
if(ROMFS_SANITIZE OR ROMFS_FUZZ)
    set(replay_sources ${CMAKE_CURRENT_LIST_DIR}/replay.c)
else()
    set(replay_sources ${CMAKE_CURRENT_LIST_DIR}/replay.c ${CMAKE_CURRENT_LIST_DIR}/heap_hooks.c)
endif()

foreach(t IN LISTS ROMFS_FUZZ_TARGETS)
    romfs_fuzz_source(${t} source)
    add_executable(${t}_replay ${source} ${replay_sources})
    target_compile_definitions(${t}_replay PRIVATE ${ROMFS_FUZZ_DEFINES_${t}})
    target_link_libraries(${t}_replay PRIVATE ${ROMFS_FUZZ_LINK_${t}} romfs_build_flags)

    # Listed once, when configuring: a glob here is not re-checked by builds.
    file(GLOB findings ${ROMFS_FUZZ_CORPUS}/${t}/finding-*)
    list(SORT findings)
    set(tests ${t}_corpus)
    if(findings)
        add_test(NAME ${t}_findings COMMAND ${t}_replay ${findings})
        list(PREPEND tests ${t}_findings)
    endif()
    add_test(NAME ${t}_corpus COMMAND ${t}_replay ${ROMFS_FUZZ_CORPUS}/${t})
    set_tests_properties(${tests} PROPERTIES
        LABELS "quick;hardening;fuzz"
        TIMEOUT 120
        ENVIRONMENT "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")
endforeach()

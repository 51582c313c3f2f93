# Romfs.cmake: MicroPython ROMFS images in a CMake build.
#
#   romfs_add_image(<name> MANIFEST <file.yaml>
#                   [OUTPUT <path>]            # default ${CMAKE_CURRENT_BINARY_DIR}/<name>.romfs
#                   [DEFINES NAME=VALUE ...]   # -D for the manifest; BUILD and SOURCE always set
#                   [SIZE <bytes|0x...|128K|8M>]  # overrides image.size
#                   [CACHE_DIR <dir>]          # default ROMFS_CACHE_DIR, else <build>/romfs-cache
#                   [MPY_CROSS <path|target>]  # default ROMFS_MPY_CROSS; a path may carry arguments
#                   [DEPENDS <file|target> ...]  # more inputs, e.g. a generated source
#                   [REPORT html|markdown|json|text ...]  # size reports beside the image
#                   [BASE <image file|image target>]      # ... saying what changed since it
#                   [PROVENANCE]               # <image>.provenance.json and <image>.cdx.json
#                   [FLASH <file.bin|.hex|.uf2|.dfu|.elf> ...]  # flash files of the image
#                   [ADDRESS <addr> | FIRMWARE <target> [PARTITION <n>]
#                    | PARTITION_TABLE <csv> [PARTITION <name>]]  # default: image.partition
#                   [UF2_FAMILY <name|0xID>]
#                   [FLASH_COMMAND <command with @FILE@>...  # the <name>-flash target
#                    [FLASH_FORMAT hex|uf2|dfu|elf] [ERASE_BLOCK <size>]]
#                   [ALL])
#
# makes target <name>, which builds the image with exact incremental
# rebuilds: the packer writes a depfile naming the manifest, every file
# it packed and every directory it listed (so an added or removed file
# counts), and it leaves the image untouched when nothing that shapes its
# bytes changed, so with Ninja's restat nothing downstream relinks. The
# target's properties say where things are: ROMFS_IMAGE, ROMFS_LISTING
# (the `romfs ls` text of the image), ROMFS_MANIFEST, ROMFS_CACHE_DIR,
# ROMFS_ALIGN_HEADER (defines ROMFS_IMAGE_ALIGN, the alignment the image
# needs in memory; rewritten only when that changes), ROMFS_IMAGE_STAMP (a
# header rewritten exactly when the image's bytes change) and ROMFS_PACKER
# (the packer that builds it; a path, except for the packer this build
# makes under a multi-config generator: read it with TARGET_GENEX_EVAL).
# With REPORT, ROMFS_REPORTS lists the reports (<image>.report.html, .md,
# .json, .txt) and ROMFS_REPORT_HTML, _MARKDOWN, _JSON, _TEXT name each;
# with PROVENANCE, ROMFS_PROVENANCE and ROMFS_SBOM name the record and the
# CycloneDX SBOM. Like the listing, each is rewritten only when its bytes
# change.
#
# FLASH writes each file (relative to the build directory; the format by
# its extension) with `romfs flash`, for the partition that ADDRESS (and
# SIZE), FIRMWARE (the partition symbols in the target's linked ELF,
# partition PARTITION, default 0), PARTITION_TABLE (an ESP-IDF CSV, its
# ROMFS partition or the one named PARTITION) or else the manifest's
# image.partition says, with the manifest's alignment rules. A flash file
# is rebuilt when the image's bytes, the firmware, the table or the
# arguments change, and rewritten only when its own bytes do. The target
# that builds them is ROMFS_FLASH_TARGET: the image's own target, except
# with FIRMWARE, where it is <name>_flash_files, built after both the image and
# the firmware: a firmware that embeds this image (romfs_embed_image)
# depends on the image target, so the image target cannot depend on the
# firmware. Its partition symbols then come from the ELF that embeds the
# image, whose copy of the image at the partition `romfs flash` knows and
# replaces (the size symbol is the embedded image's size, or the
# embedding's SIZE). <name>_flash_files is in ALL when the image is. The paths:
# ROMFS_FLASH_FILES, and per format ROMFS_FLASH_BIN, _HEX, _UF2, _DFU, _ELF.
#
# FLASH_COMMAND makes target <name>-flash, which flashes in deltas: it
# builds the block-keeping image <image>.keep.romfs against the one last
# flashed from this build tree (<image>.flashed.romfs, with its SHA-256 and
# the partition options in <image>.flashed.txt), writes the erase blocks
# that differ as <image>.flash.<FLASH_FORMAT> (the whole image the first
# time, or when the record is missing or does not match), runs the command
# with @FILE@ replaced by that file, and records the image as flashed only
# when the command succeeds. Nothing changed: no command runs. The partition
# comes from the same options as FLASH.
#
# Whatever consumes the image must depend on it explicitly (for example
# DEPENDS $<TARGET_PROPERTY:<name>,ROMFS_IMAGE>): an .incbin is invisible
# to compiler dependency files.
#
#   romfs_embed_image(<image-target> [TARGET <library>] [options])
#   romfs_embed_image(<firmware-target> <image-target> [TARGET <library>] [options])
#       options: [SECTION <name>]             # default .romfs
#                [SYMBOL <prefix>]            # default: the image target's name
#                [MICROPYTHON_PARTITION 0|1]  # define MicroPython's partition symbols
#                [SIZE <bytes|0x...|128K|8M>] # reserve this much (default: the image)
#                [REGION <memory region>]     # for the linker-script fragment
#
# The first form makes the INTERFACE library <library> (default
# <image-target>_embedded) that carries the image into whatever links it:
# a generated assembly file, compiled in each consumer with its own flags,
# that .incbins the image into section SECTION (read-only, aligned to the
# image's largest file alignment) between the symbols <prefix>_romfs_start
# and <prefix>_romfs_end; the include directory of <romfs/<prefix>.h>,
# which declares them and never changes with the image's contents; the
# directory of the linker-script fragment romfs_<prefix>.ld; and the
# dependencies that rebuild the firmware when, and only when, the image's
# bytes change. The second form makes the same library if it is not there
# yet and links it into <firmware-target>; one library may be linked into
# any number of firmware targets, and asking for an existing library with
# other options is an error (give the other embedding its own TARGET).
# The image target may be defined before or after either call.
#
# MICROPYTHON_PARTITION N also defines _micropy_hw_romfs_partN_start (the
# first byte) and the absolute symbol _micropy_hw_romfs_partN_size (the
# image size, or SIZE), which MicroPython's ports read; the header declares
# them as the ports do (extern uint8_t), so a port's own declarations stay
# valid beside it. A PIE program cannot reach an absolute symbol
# PC-relatively, so build host programs that use it without PIE or with
# -fPIC. A linker script's definition of either symbol would silently win
# over the image's, so the link checks that they are the image's and fails
# naming the symbol, the generated assembly file and the firmware's -T
# scripts. For firmware with its own linker script, INCLUDE
# romfs_<prefix>.ld inside SECTIONS: it places the section in REGION with
# KEEP, so --gc-sections cannot drop it and an image too big for the region
# fails the link. The library's properties: ROMFS_IMAGE_TARGET,
# ROMFS_EMBED_SOURCE, ROMFS_EMBED_HEADER, ROMFS_LINKER_FRAGMENT.
#
# Sizes are read as the packer reads them: decimal digits, 0x and hex
# digits, or decimal digits with K or M (1024-based), from 1 to 4096M.
#
# The packer always runs on the build host. It is, in this order:
# ROMFS_EXECUTABLE if set; the `romfs` target of this build (romfs added
# with add_subdirectory() or FetchContent, not cross-compiling; it is
# <romfs's binary dir>/tool/romfs); the installed one (find_package(Romfs));
# `romfs` on PATH; else, when cross-compiling from romfs's sources, one
# built for the host with ExternalProject and ROMFS_HOST_C_COMPILER
# (default: the host's cc), never with the target toolchain, in
# ${CMAKE_BINARY_DIR}/_romfs_host/tool/romfs, rebuilt when romfs's sources
# change and left alone otherwise.

# The packing rule runs this file as a script after the packer, to keep
# ROMFS_IMAGE_STAMP: rewritten when the image's bytes changed and only
# then, so that what #includes it (the embedding assembly) is rebuilt
# exactly when an .incbin would read new bytes. Hashing is skipped when
# the image is older than its stamp, which is every run that left it alone.
# ROMFS_MAKE_DEPENDS, for Makefile generators before CMake 4.0, is the file
# into which they gather the packer's depfile: they append each new depfile
# to what is there, so a removed asset stayed a dependency, with an empty
# rule that make always runs, and the packer ran on every build after.
# Removing it makes the next build gather the new depfile alone.
if(CMAKE_SCRIPT_MODE_FILE AND DEFINED ROMFS_STAMP)
    if(ROMFS_MAKE_DEPENDS)
        file(REMOVE "${ROMFS_MAKE_DEPENDS}")
    endif()
    if(NOT EXISTS "${ROMFS_STAMP}" OR "${ROMFS_STAMP_IMAGE}" IS_NEWER_THAN "${ROMFS_STAMP}")
        file(MD5 "${ROMFS_STAMP_IMAGE}" hash)
        set(text "/* The image's MD5: ${hash} */\n")
        set(old "")
        if(EXISTS "${ROMFS_STAMP}")
            file(READ "${ROMFS_STAMP}" old)
        endif()
        if(NOT old STREQUAL text)
            file(WRITE "${ROMFS_STAMP}" "${text}")
        endif()
    endif()
    return()
endif()

# The <name>-flash target runs this file as a script (ROMFS_FLASH_SETTINGS
# names the file of its settings, written at generate time): it builds the
# block-keeping image against the one last flashed from this build tree,
# writes the delta (or the whole image, the first time or when the record
# is missing or does not match the image or the partition), runs the
# user's command on it, and only when that succeeds records the new image
# as flashed.
if(CMAKE_SCRIPT_MODE_FILE AND DEFINED ROMFS_FLASH_SETTINGS)
    include("${ROMFS_FLASH_SETTINGS}")
    set(record_ok OFF)
    if(EXISTS "${ROMFS_FLASH_RECORD}" AND EXISTS "${ROMFS_FLASH_RECORD_IMAGE}")
        file(SHA256 "${ROMFS_FLASH_RECORD_IMAGE}" flashed_hash)
        file(READ "${ROMFS_FLASH_RECORD}" record)
        string(REPLACE ";" " " where_text "${ROMFS_FLASH_ARGS}")
        if(record STREQUAL "sha256 ${flashed_hash}\npartition ${where_text}\n")
            set(record_ok ON)
        endif()
    endif()
    if(record_ok)
        set(layout --base "${ROMFS_FLASH_RECORD_IMAGE}")
    else()
        set(layout --layout keep)
    endif()
    execute_process(COMMAND ${ROMFS_FLASH_BUILD} ${layout} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "romfs: the image to flash could not be built; nothing flashed")
    endif()
    file(REMOVE "${ROMFS_FLASH_FILE}")
    if(record_ok)
        execute_process(COMMAND ${ROMFS_FLASH_PACKER} flash "${ROMFS_FLASH_IMAGE}"
                        -o "${ROMFS_FLASH_FILE}" --base "${ROMFS_FLASH_RECORD_IMAGE}"
                        ${ROMFS_FLASH_ARGS} RESULT_VARIABLE rc)
    else()
        message(STATUS "romfs: no record of what was flashed from this build tree, or not for "
                       "this partition: flashing the whole image")
        execute_process(COMMAND ${ROMFS_FLASH_PACKER} flash "${ROMFS_FLASH_IMAGE}"
                        -o "${ROMFS_FLASH_FILE}" ${ROMFS_FLASH_ARGS} RESULT_VARIABLE rc)
    endif()
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "romfs: the flash file could not be written; nothing flashed")
    endif()
    if(NOT EXISTS "${ROMFS_FLASH_FILE}")
        message(STATUS "romfs: the device already holds this image; nothing to flash")
        return()
    endif()
    set(command "")
    foreach(word IN LISTS ROMFS_FLASH_COMMAND)
        string(REPLACE "@FILE@" "${ROMFS_FLASH_FILE}" word "${word}")
        list(APPEND command "${word}")
    endforeach()
    execute_process(COMMAND ${command} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "romfs: the flash command failed (${rc}); the record of what was "
                            "flashed is unchanged, so the next flash writes against it again")
    endif()
    # The record: the image now on the device, then its hash, each by rename.
    file(COPY_FILE "${ROMFS_FLASH_IMAGE}" "${ROMFS_FLASH_RECORD_IMAGE}.tmp")
    file(RENAME "${ROMFS_FLASH_RECORD_IMAGE}.tmp" "${ROMFS_FLASH_RECORD_IMAGE}")
    file(SHA256 "${ROMFS_FLASH_RECORD_IMAGE}" flashed_hash)
    string(REPLACE ";" " " where_text "${ROMFS_FLASH_ARGS}")
    file(WRITE "${ROMFS_FLASH_RECORD}.tmp" "sha256 ${flashed_hash}\npartition ${where_text}\n")
    file(RENAME "${ROMFS_FLASH_RECORD}.tmp" "${ROMFS_FLASH_RECORD}")
    return()
endif()

include_guard(GLOBAL)

set(ROMFS_EXECUTABLE "" CACHE FILEPATH "A prebuilt romfs packer for the build host (optional)")
set(ROMFS_HOST_BUILD_TYPE Release CACHE STRING
    "Build type of the packer built for the build host when cross-compiling")
set(ROMFS_CACHE_DIR "" CACHE PATH "Cache directory for romfs images (shareable between build trees)")
set(ROMFS_MPY_CROSS "" CACHE STRING
    "mpy-cross for .py files: a path (with arguments, if any) or a target of this build")

# A size in bytes, by the grammar of tool/util/number.c, so that a SIZE
# means the same here as to the packer: decimal digits; 0x or 0X and hex
# digits; or decimal digits and one of K k M m (1024-based); from 1 to
# 4294967296. Sets <out_bytes>, or <out_error> to what is wrong in the
# packer's words. math() is signed 64-bit, so digit strings are measured
# (leading zeros aside) before they reach it.
function(_romfs_size text out_bytes out_error)
    set(form "must be a byte count such as 131072, 0x20000, 128K or 8M")
    set(too_large "is too large (the most is 4096M)")
    set(shift 0)
    if(text MATCHES "^0[xX]([0-9a-fA-F]+)$")
        set(digits "${CMAKE_MATCH_1}")
        set(prefix "0x")
        set(max_digits 9)                # 0x100000000
    elseif(text MATCHES "^([0-9]+)([KkMm]?)$")
        set(digits "${CMAKE_MATCH_1}")
        set(suffix "${CMAKE_MATCH_2}")
        set(prefix "")
        set(max_digits 10)               # 4294967296
        if(suffix STREQUAL "K" OR suffix STREQUAL "k")
            set(shift 10)
        elseif(suffix STREQUAL "M" OR suffix STREQUAL "m")
            set(shift 20)
        endif()
    else()
        set(${out_bytes} "" PARENT_SCOPE)
        set(${out_error} "${form}" PARENT_SCOPE)
        return()
    endif()
    # Without leading zeros, math() reads no octal and no string is longer
    # than its digits' worth.
    string(REGEX REPLACE "^0+" "" digits "${digits}")
    string(LENGTH "${digits}" length)
    set(bytes "")
    set(error "")
    if(length GREATER max_digits)
        set(error "${too_large}")
    elseif(length EQUAL 0)
        set(error "must be more than 0")
    else()
        math(EXPR value "${prefix}${digits}")
        math(EXPR most "4294967296 >> ${shift}")
        if(value GREATER most)
            set(error "${too_large}")
        else()
            math(EXPR bytes "${value} << ${shift}")
        endif()
    endif()
    set(${out_bytes} "${bytes}" PARENT_SCOPE)
    set(${out_error} "${error}" PARENT_SCOPE)
endfunction()

# The SIZE option of <where> (<given>: whether the keyword was there at
# all) in bytes in <out_bytes>, empty when it was not given; a fatal error
# naming the call when it is not a size, an empty or missing value included.
function(_romfs_size_option where given text out_bytes)
    set(bytes "")
    if(given)
        _romfs_size("${text}" bytes error)
        if(error)
            message(FATAL_ERROR "${where}: SIZE ${error}, not '${text}'")
        endif()
    endif()
    set(${out_bytes} "${bytes}" PARENT_SCOPE)
endfunction()

# The host packer built from source with ExternalProject, for cross builds.
# Its build step reruns when a file it is built from changes, and only
# then, so that a no-op build runs nothing; an added or removed file
# changes its directory's mtime, which reconfigures this project and
# re-lists them.
function(_romfs_host_packer out_exe)
    get_filename_component(source "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/.." ABSOLUTE)
    set(binary "${CMAKE_BINARY_DIR}/_romfs_host")
    set(exe "${binary}/tool/romfs")
    if(NOT TARGET _romfs_host)
        find_program(ROMFS_HOST_C_COMPILER NAMES cc gcc clang NO_CMAKE_FIND_ROOT_PATH
            DOC "C compiler for building the romfs packer for the build host")
        if(NOT ROMFS_HOST_C_COMPILER)
            message(FATAL_ERROR "romfs: cross-compiling, and no host C compiler found to build "
                "the packer; set ROMFS_HOST_C_COMPILER, or ROMFS_EXECUTABLE to a prebuilt romfs")
        endif()
        file(GLOB_RECURSE inputs LIST_DIRECTORIES true
            "${source}/tool/*" "${source}/runtime/*" "${source}/cmake/*")
        set(files "${source}/CMakeLists.txt")
        set(dirs "${source}/tool" "${source}/runtime" "${source}/cmake")
        foreach(path IN LISTS inputs)
            if(IS_DIRECTORY "${path}")
                list(APPEND dirs "${path}")
            else()
                list(APPEND files "${path}")
            endif()
        endforeach()
        set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${dirs})
        include(ExternalProject)
        ExternalProject_Add(_romfs_host
            SOURCE_DIR "${source}"
            BINARY_DIR "${binary}"
            CMAKE_ARGS
                -DCMAKE_BUILD_TYPE=${ROMFS_HOST_BUILD_TYPE}
                -DCMAKE_TOOLCHAIN_FILE=
                -DCMAKE_C_COMPILER=${ROMFS_HOST_C_COMPILER}
                -DROMFS_BUILD_TESTS=OFF
                -DROMFS_INSTALL=OFF
            BUILD_BYPRODUCTS "${exe}"
            INSTALL_COMMAND "")
        ExternalProject_Add_StepDependencies(_romfs_host build ${files})
    endif()
    set(${out_exe} "${exe}" PARENT_SCOPE)
endfunction()

# The packer to run (`exe`, perhaps a generator expression), what the
# custom command must depend on so that a rebuilt packer rebuilds the
# images (`deps`), and its path for ROMFS_PACKER (`path`: a plain path,
# except for this build's own packer under a multi-config generator).
function(_romfs_packer out_exe out_deps out_path)
    if(ROMFS_EXECUTABLE)
        set(exe "${ROMFS_EXECUTABLE}")
        set(deps "${ROMFS_EXECUTABLE}")
        set(path "${ROMFS_EXECUTABLE}")
    elseif(TARGET romfs)
        set(exe "$<TARGET_FILE:romfs>")
        set(deps romfs)
        set(path "${exe}")
        get_property(multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
        get_target_property(dir romfs RUNTIME_OUTPUT_DIRECTORY)
        if(dir AND NOT multi_config AND NOT dir MATCHES "\\$<")
            set(path "${dir}/romfs${CMAKE_EXECUTABLE_SUFFIX}")
        endif()
    elseif(TARGET Romfs::romfs)
        set(exe "$<TARGET_FILE:Romfs::romfs>")
        set(deps "$<TARGET_FILE:Romfs::romfs>")
        get_target_property(path Romfs::romfs LOCATION)
    else()
        find_program(_ROMFS_ON_PATH romfs NO_CMAKE_FIND_ROOT_PATH)
        if(_ROMFS_ON_PATH)
            set(exe "${_ROMFS_ON_PATH}")
            set(deps "${_ROMFS_ON_PATH}")
            set(path "${_ROMFS_ON_PATH}")
        elseif(CMAKE_CROSSCOMPILING AND EXISTS "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../tool/cli/main.c")
            _romfs_host_packer(exe)
            set(deps _romfs_host "${exe}")
            set(path "${exe}")
        else()
            message(FATAL_ERROR "romfs: no romfs packer: set ROMFS_EXECUTABLE, put romfs on "
                "PATH, or add romfs's sources with add_subdirectory() or FetchContent")
        endif()
    endif()
    set(${out_exe} "${exe}" PARENT_SCOPE)
    set(${out_deps} "${deps}" PARENT_SCOPE)
    set(${out_path} "${path}" PARENT_SCOPE)
endfunction()

function(romfs_add_image name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "ALL;PROVENANCE"
        "MANIFEST;OUTPUT;SIZE;CACHE_DIR;MPY_CROSS;BASE;ADDRESS;FIRMWARE;PARTITION;PARTITION_TABLE;UF2_FAMILY;FLASH_FORMAT;ERASE_BLOCK"
        "DEFINES;DEPENDS;REPORT;FLASH;FLASH_COMMAND")
    set(where "romfs_add_image(${name})")
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "${where}: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT arg_MANIFEST)
        message(FATAL_ERROR "${where}: MANIFEST <file.yaml> is required")
    endif()
    set(size_given OFF)
    if("SIZE" IN_LIST ARGN)
        set(size_given ON)
    endif()
    _romfs_size_option("${where}" ${size_given} "${arg_SIZE}" size_bytes)
    get_filename_component(manifest "${arg_MANIFEST}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT arg_OUTPUT)
        set(arg_OUTPUT "${name}.romfs")
    endif()
    get_filename_component(output "${arg_OUTPUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    get_filename_component(output_dir "${output}" DIRECTORY)
    file(MAKE_DIRECTORY "${output_dir}")
    set(depfile "${output}.d")
    set(listing "${output}.txt")
    set(align_header "${output}.align.h")
    set(stamp "${output}.stamp.h")
    if(arg_CACHE_DIR)
        get_filename_component(cache_dir "${arg_CACHE_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    elseif(ROMFS_CACHE_DIR)
        set(cache_dir "${ROMFS_CACHE_DIR}")
    else()
        set(cache_dir "${CMAKE_BINARY_DIR}/romfs-cache")
    endif()

    # The manifest's -D, which `romfs flash --manifest` reads it with too.
    set(defines -D "BUILD=${CMAKE_CURRENT_BINARY_DIR}" -D "SOURCE=${CMAKE_CURRENT_SOURCE_DIR}")
    foreach(def IN LISTS arg_DEFINES)
        list(APPEND defines -D "${def}")
    endforeach()
    # The compiler, for manifests without image.mpy_cross. A target of this
    # build (a port's own mpy-cross) is built first, and a rebuilt one
    # rebuilds the images.
    set(mpy_cross "${arg_MPY_CROSS}")
    if(NOT mpy_cross)
        set(mpy_cross "${ROMFS_MPY_CROSS}")
    endif()
    set(mpy_deps "")
    if(mpy_cross AND TARGET "${mpy_cross}")
        list(APPEND defines -D "ROMFS_MPY_CROSS=$<TARGET_FILE:${mpy_cross}>")
        set(mpy_deps "${mpy_cross}")
    elseif(mpy_cross)
        list(APPEND defines -D "ROMFS_MPY_CROSS=${mpy_cross}")
    endif()
    set(args build "${manifest}" -o "${output}" --depfile "${depfile}" --listing "${listing}"
        --align-header "${align_header}" --cache-dir "${cache_dir}" ${defines})
    if(size_bytes)
        list(APPEND args --size "${size_bytes}")
    endif()

    _romfs_reports("${where}" "${output}" "${arg_REPORT}" "${arg_BASE}" ${arg_PROVENANCE}
        report_args report_files report_deps report_props reports)
    list(APPEND args ${report_args})

    # Make does not rerun a rule whose command changed; this file, rewritten
    # only when the arguments change, makes a changed DEFINE or SIZE an input.
    string(REPLACE ";" "\n" args_text "${args}")
    set(args_file "${output}.args")
    file(CONFIGURE OUTPUT "${args_file}" CONTENT "@args_text@\n" @ONLY)

    set(make_depends "")
    if(CMAKE_GENERATOR MATCHES "Makefiles" AND CMAKE_VERSION VERSION_LESS 4.0)
        set(make_depends "${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${name}.dir/compiler_depend.internal")
    endif()

    _romfs_packer(packer packer_deps packer_path)
    add_custom_command(
        OUTPUT "${output}"
        BYPRODUCTS "${listing}" "${align_header}" "${stamp}" ${report_files}
        COMMAND ${packer} ${args}
        COMMAND "${CMAKE_COMMAND}" "-DROMFS_STAMP=${stamp}" "-DROMFS_STAMP_IMAGE=${output}"
                "-DROMFS_MAKE_DEPENDS=${make_depends}" -P "${CMAKE_CURRENT_FUNCTION_LIST_FILE}"
        DEPENDS "${manifest}" "${args_file}" ${packer_deps} ${mpy_deps} ${report_deps}
                ${arg_DEPENDS}
        DEPFILE "${depfile}"
        COMMENT "Packing ROMFS image ${name}"
        VERBATIM)
    if(NOT arg_FLASH AND NOT arg_FLASH_COMMAND)
        foreach(option ADDRESS FIRMWARE PARTITION PARTITION_TABLE UF2_FAMILY ERASE_BLOCK)
            if(DEFINED arg_${option})
                message(FATAL_ERROR "${where}: ${option} is for FLASH files and FLASH_COMMAND; "
                    "give FLASH <file>... or FLASH_COMMAND <command>...")
            endif()
        endforeach()
    endif()
    if(DEFINED arg_FLASH_FORMAT AND NOT arg_FLASH_COMMAND)
        message(FATAL_ERROR "${where}: FLASH_FORMAT is the format FLASH_COMMAND gets; give "
            "FLASH_COMMAND <command>...")
    endif()
    if(arg_FLASH_COMMAND)
        _romfs_flash_target("${where}" "${name}" "${output}" "${manifest}" "${defines}"
            "${size_bytes}" "${cache_dir}" "${packer_path}" "${packer_deps}")
    endif()
    _romfs_flash_files("${where}" "${name}" "${output}" "${manifest}" "${defines}" "${size_bytes}"
        "${packer}" "${packer_deps}" "${mpy_deps}" ${arg_ALL} flash_target flash_files flash_props)
    set(all "")
    if(arg_ALL)
        set(all ALL)
    endif()
    if(flash_target STREQUAL name)
        add_custom_target(${name} ${all} DEPENDS "${output}" ${flash_files})
    else()
        add_custom_target(${name} ${all} DEPENDS "${output}")
    endif()
    set_target_properties(${name} PROPERTIES
        ROMFS_IMAGE "${output}"
        ROMFS_LISTING "${listing}"
        ROMFS_ALIGN_HEADER "${align_header}"
        ROMFS_IMAGE_STAMP "${stamp}"
        ROMFS_MANIFEST "${manifest}"
        ROMFS_CACHE_DIR "${cache_dir}"
        ROMFS_PACKER "${packer_path}"
        ${report_props})
    set_property(TARGET ${name} PROPERTY ROMFS_REPORTS ${reports})
    if(flash_files)
        set_target_properties(${name} PROPERTIES ROMFS_FLASH_TARGET "${flash_target}")
        set_property(TARGET ${name} PROPERTY ROMFS_FLASH_FILES ${flash_files})
        while(flash_props)
            list(POP_FRONT flash_props prop)
            list(POP_FRONT flash_props file)
            set_property(TARGET ${name} APPEND PROPERTY ${prop} "${file}")
        endwhile()
    endif()
endfunction()

# Where the partition is, for `romfs flash`: ADDRESS (and SIZE), FIRMWARE
# (its partition symbols; PARTITION picks one), PARTITION_TABLE (an ESP-IDF
# CSV; PARTITION names one) or else the manifest's image.partition; and
# ERASE_BLOCK. Sets <out_args> (with --manifest and its -D, whose alignment
# rules the address is checked by) and <out_deps> (the firmware, the table).
function(_romfs_partition where manifest defines size_bytes out_args out_deps)
    set(given "")
    foreach(option ADDRESS FIRMWARE PARTITION_TABLE)
        if(DEFINED arg_${option})
            list(APPEND given ${option})
        endif()
    endforeach()
    list(LENGTH given n_given)
    if(n_given GREATER 1)
        string(REPLACE ";" " and " given "${given}")
        message(FATAL_ERROR "${where}: ${given} each say where the partition is; give one")
    endif()
    if(DEFINED arg_PARTITION AND NOT (DEFINED arg_FIRMWARE OR DEFINED arg_PARTITION_TABLE))
        message(FATAL_ERROR "${where}: PARTITION picks a partition of FIRMWARE or PARTITION_TABLE")
    endif()
    set(args --manifest "${manifest}" ${defines})
    set(deps "${manifest}")
    if(DEFINED arg_ADDRESS)
        if(NOT arg_ADDRESS MATCHES "^(0[xX][0-9a-fA-F]+|[0-9]+)$")
            message(FATAL_ERROR "${where}: ADDRESS must be an address such as 0x08100000, not "
                "'${arg_ADDRESS}'")
        endif()
        list(APPEND args --address "${arg_ADDRESS}")
        if(size_bytes)
            list(APPEND args --size "${size_bytes}")
        endif()
    elseif(DEFINED arg_FIRMWARE)
        if(NOT TARGET "${arg_FIRMWARE}")
            message(FATAL_ERROR "${where}: FIRMWARE ${arg_FIRMWARE} is not a target")
        endif()
        list(APPEND args --firmware "$<TARGET_FILE:${arg_FIRMWARE}>")
        list(APPEND deps "$<TARGET_FILE:${arg_FIRMWARE}>")
    elseif(DEFINED arg_PARTITION_TABLE)
        get_filename_component(csv "${arg_PARTITION_TABLE}" ABSOLUTE
            BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
        list(APPEND args --partition-table "${csv}")
        list(APPEND deps "${csv}")
    elseif(size_bytes)
        list(APPEND args --size "${size_bytes}")
    endif()
    if(DEFINED arg_PARTITION)
        list(APPEND args --partition "${arg_PARTITION}")
    endif()
    if(DEFINED arg_ERASE_BLOCK)
        _romfs_size("${arg_ERASE_BLOCK}" erase_bytes why)
        if(why)
            message(FATAL_ERROR "${where}: ERASE_BLOCK ${why}")
        endif()
        list(APPEND args --erase-block "${erase_bytes}")
    endif()
    set(${out_args} "${args}" PARENT_SCOPE)
    set(${out_deps} "${deps}" PARENT_SCOPE)
endfunction()

# The <name>-flash target: FLASH_COMMAND (with @FILE@ where the flash file
# goes) run on a delta of the block-keeping image against the one last
# flashed from this build tree, as a FLASH_FORMAT file (default hex). The
# block-keeping image is its own file (<image>.keep.romfs); the record of
# what was flashed is <image>.flashed.romfs and <image>.flashed.txt.
function(_romfs_flash_target where name image manifest defines size_bytes cache_dir packer
         packer_deps)
    set(format hex)
    if(arg_FLASH_FORMAT)
        set(format "${arg_FLASH_FORMAT}")
    endif()
    if(NOT format MATCHES "^(hex|uf2|dfu|elf)$")
        message(FATAL_ERROR "${where}: FLASH_FORMAT must be hex, uf2, dfu or elf (a delta needs "
            "addresses), not '${format}'")
    endif()
    string(FIND "${arg_FLASH_COMMAND}" "@FILE@" at)
    if(at LESS 0)
        message(FATAL_ERROR "${where}: FLASH_COMMAND must say where the flash file goes, with "
            "@FILE@ (for example: dfu-util -a 0 -D @FILE@)")
    endif()
    _romfs_partition("${where}" "${manifest}" "${defines}" "${size_bytes}" args deps)
    if(format STREQUAL "uf2" AND arg_UF2_FAMILY)
        list(APPEND args --uf2-family "${arg_UF2_FAMILY}")
    endif()
    set(keep "${image}.keep.romfs")
    set(build ${packer} build "${manifest}" -o "${keep}" --cache-dir "${cache_dir}" ${defines})
    if(size_bytes)
        list(APPEND build --size "${size_bytes}")
    endif()
    if(DEFINED arg_ERASE_BLOCK)
        list(APPEND build --erase-block "${arg_ERASE_BLOCK}")
    endif()
    # The settings as a script of set()s, with generator expressions (the
    # packer, the firmware) evaluated; bracket arguments keep every byte.
    set(text "")
    foreach(var BUILD ARGS COMMAND)
        if(var STREQUAL "BUILD")
            set(value "${build}")
        elseif(var STREQUAL "ARGS")
            set(value "${args}")
        else()
            set(value "${arg_FLASH_COMMAND}")
        endif()
        string(APPEND text "set(ROMFS_FLASH_${var}")
        foreach(word IN LISTS value)
            string(APPEND text " [==[${word}]==]")
        endforeach()
        string(APPEND text ")\n")
    endforeach()
    string(APPEND text "set(ROMFS_FLASH_PACKER [==[${packer}]==])\n"
        "set(ROMFS_FLASH_IMAGE [==[${keep}]==])\n"
        "set(ROMFS_FLASH_FILE [==[${image}.flash.${format}]==])\n"
        "set(ROMFS_FLASH_RECORD_IMAGE [==[${image}.flashed.romfs]==])\n"
        "set(ROMFS_FLASH_RECORD [==[${image}.flashed.txt]==])\n")
    get_property(multi GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
    if(multi)
        set(settings "${image}.flash-$<CONFIG>.cmake")
    else()
        set(settings "${image}.flash.cmake")
    endif()
    file(GENERATE OUTPUT "${settings}" CONTENT "${text}")
    add_custom_target(${name}-flash
        COMMAND "${CMAKE_COMMAND}" "-DROMFS_FLASH_SETTINGS=${settings}"
                -P "${CMAKE_CURRENT_FUNCTION_LIST_FILE}"
        DEPENDS ${packer_deps}
        COMMENT "Flashing ROMFS image ${name}"
        USES_TERMINAL
        VERBATIM)
    add_dependencies(${name}-flash ${name})
    if(DEFINED arg_FIRMWARE)
        add_dependencies(${name}-flash ${arg_FIRMWARE})
    endif()
endfunction()

# FLASH's files of image <name>: a custom command for each (`romfs flash`
# of the image, which it depends on with the firmware or the table, the
# packer and a file of its arguments), made in the image's target or, with
# FIRMWARE, in <name>_flash_files. Sets <out_target>, <out_files> (the paths) and
# <out_props> (property;path;... for ROMFS_FLASH_<FORMAT>).
function(_romfs_flash_files where name image manifest defines size_bytes packer packer_deps
         mpy_deps all out_target out_files out_props)
    set(files "")
    set(props "")
    set(${out_target} "${name}" PARENT_SCOPE)
    if(NOT arg_FLASH)
        set(${out_files} "" PARENT_SCOPE)
        set(${out_props} "" PARENT_SCOPE)
        return()
    endif()
    _romfs_partition("${where}" "${manifest}" "${defines}" "${size_bytes}" common deps)
    list(APPEND common -q)
    list(APPEND deps "${image}" ${packer_deps} ${mpy_deps})
    set(target "${name}")
    if(DEFINED arg_FIRMWARE)
        set(target "${name}_flash_files")
    endif()
    set(uf2 OFF)
    foreach(file IN LISTS arg_FLASH)
        get_filename_component(path "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
        get_filename_component(ext "${path}" LAST_EXT)
        string(TOLOWER "${ext}" ext)
        string(REGEX REPLACE "^\\." "" format "${ext}")
        if(format STREQUAL "ihex")
            set(format hex)
        endif()
        if(NOT format MATCHES "^(bin|hex|uf2|dfu|elf)$")
            message(FATAL_ERROR "${where}: FLASH ${file}: the extension says the format: .bin, "
                ".hex, .uf2, .dfu or .elf")
        endif()
        if(path IN_LIST files)
            message(FATAL_ERROR "${where}: FLASH names ${path} twice")
        endif()
        set(flash_args "${common}")
        if(format STREQUAL "uf2")
            set(uf2 ON)
            if(arg_UF2_FAMILY)
                list(APPEND flash_args --uf2-family "${arg_UF2_FAMILY}")
            endif()
        endif()
        # A changed argument must rewrite the file, under Make too.
        string(REPLACE ";" "\n" args_text "${flash_args}")
        file(CONFIGURE OUTPUT "${path}.args" CONTENT "@args_text@\n" @ONLY)
        # Make reruns a rule whose output is older than an input: a file
        # left alone because its bytes did not change is touched for it.
        set(touch "")
        if(CMAKE_GENERATOR MATCHES "Makefiles")
            set(touch COMMAND "${CMAKE_COMMAND}" -E touch "${path}")
        endif()
        get_filename_component(base "${path}" NAME)
        add_custom_command(
            OUTPUT "${path}"
            COMMAND ${packer} flash "${image}" -o "${path}" ${flash_args}
            ${touch}
            DEPENDS ${deps} "${path}.args"
            COMMENT "Writing flash file ${base} of ROMFS image ${name}"
            VERBATIM)
        list(APPEND files "${path}")
        string(TOUPPER "${format}" upper)
        list(APPEND props "ROMFS_FLASH_${upper}" "${path}")
    endforeach()
    if(arg_UF2_FAMILY AND NOT uf2 AND NOT arg_FLASH_FORMAT STREQUAL "uf2")
        message(FATAL_ERROR "${where}: UF2_FAMILY is for a .uf2 FLASH file, and none is given")
    endif()
    if(NOT target STREQUAL name)
        set(in_all "")
        if(all)
            set(in_all ALL)
        endif()
        add_custom_target(${target} ${in_all} DEPENDS ${files})
        add_dependencies(${target} ${name} ${arg_FIRMWARE})
    endif()
    set(${out_target} "${target}" PARENT_SCOPE)
    set(${out_files} "${files}" PARENT_SCOPE)
    set(${out_props} "${props}" PARENT_SCOPE)
endfunction()

# The packer's options for REPORT, BASE and PROVENANCE, the files they
# write, what they depend on, and the target properties naming them.
function(_romfs_reports where output kinds base provenance
         out_args out_files out_deps out_props out_reports)
    set(args "")
    set(files "")
    set(deps "")
    set(props "")
    set(reports "")
    list(REMOVE_DUPLICATES kinds)
    foreach(kind IN LISTS kinds)
        if(kind STREQUAL "html")
            set(ext html)
        elseif(kind STREQUAL "markdown")
            set(ext md)
        elseif(kind STREQUAL "json")
            set(ext json)
        elseif(kind STREQUAL "text")
            set(ext txt)
        else()
            message(FATAL_ERROR "${where}: REPORT takes html, markdown, json or text, not '${kind}'")
        endif()
        set(file "${output}.report.${ext}")
        string(TOUPPER "${kind}" upper)
        list(APPEND args --report "${file}")
        list(APPEND reports "${file}")
        list(APPEND props ROMFS_REPORT_${upper} "${file}")
    endforeach()
    list(APPEND files ${reports})
    if(base AND NOT reports)
        message(FATAL_ERROR "${where}: BASE is what the reports compare against; give REPORT too")
    elseif(base AND TARGET "${base}")
        list(APPEND args --report-base "$<TARGET_PROPERTY:${base},ROMFS_IMAGE>")
        list(APPEND deps "${base}" "$<TARGET_PROPERTY:${base},ROMFS_IMAGE>")
    elseif(base)
        get_filename_component(base "${base}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
        list(APPEND args --report-base "${base}")
        list(APPEND deps "${base}")
    endif()
    if(provenance)
        list(APPEND args --provenance "${output}.provenance.json" --sbom "${output}.cdx.json")
        list(APPEND files "${output}.provenance.json" "${output}.cdx.json")
        list(APPEND props ROMFS_PROVENANCE "${output}.provenance.json"
                          ROMFS_SBOM "${output}.cdx.json")
    endif()
    set(${out_args} "${args}" PARENT_SCOPE)
    set(${out_files} "${files}" PARENT_SCOPE)
    set(${out_deps} "${deps}" PARENT_SCOPE)
    set(${out_props} "${props}" PARENT_SCOPE)
    set(${out_reports} "${reports}" PARENT_SCOPE)
endfunction()

# The generated files of an embedding library, written at configure time
# (the assembly, the header, the fragment) or at generate time (what
# depends on the image target, which may be defined later).
function(_romfs_embed_files lib image dir section symbol part size_bytes size_text region)
    set(start "${symbol}_romfs_start")
    set(end "${symbol}_romfs_end")
    set(length "(${end} - ${start})")
    set(asm "${dir}/${symbol}_romfs.S")
    set(inputs "${dir}/${symbol}_romfs_inputs.h")
    set(header "${dir}/include/romfs/${symbol}.h")
    set(fragment "${dir}/romfs_${symbol}.ld")
    set(image_macro "ROMFS_EMBED_${symbol}_IMAGE")

    # The image and its side files by path, known once the image target is.
    # Including the stamp makes the image's bytes a dependency of the object
    # that .incbins them, in every consumer, through the compiler's own
    # dependency file.
    string(CONCAT inputs_text
        "/* Generated by romfs_embed_image(): the files of the ROMFS image ${image}. */\n"
        "#include \"$<TARGET_PROPERTY:${image},ROMFS_ALIGN_HEADER>\"\n"
        "#include \"$<TARGET_PROPERTY:${image},ROMFS_IMAGE_STAMP>\"\n"
        "#define ${image_macro} \"$<TARGET_PROPERTY:${image},ROMFS_IMAGE>\"\n")
    file(GENERATE OUTPUT "${inputs}" CONTENT "${inputs_text}")

    # The image between its two symbols, then, with SIZE, the rest of the
    # partition as erased flash; the assembler refuses an image larger than
    # SIZE.
    set(reserve "")
    set(size_value "${length}")
    if(size_bytes)
        set(size_value "${size_bytes}")
        string(APPEND reserve
            "    .if ${length} > ${size_bytes}\n"
            "    .error \"romfs: the image ${image} is larger than SIZE ${size_text}\"\n"
            "    .endif\n"
            "    .space ${size_bytes} - ${length}, 0xff\n")
    endif()
    set(mp_labels "")
    set(mp_sizes "")
    set(mp_decls "")
    if(NOT part STREQUAL "")
        set(mp "_micropy_hw_romfs_part${part}")
        set(mp_labels "    .globl ${mp}_start\n${mp}_start:\n")
        set(mp_sizes "    .globl ${mp}_size\n    .set ${mp}_size, ${size_value}\n")
        string(CONCAT mp_decls
            "/* MicroPython's ROMFS partition ${part}, declared as its ports declare it\n"
            " * (qemu, samd, mimxrt and renesas-ra say uint8_t, stm32 unsigned char:\n"
            " * the same type), so that a port's declarations may stand beside these.\n"
            " * The partition starts at &${mp}_start; the address of the\n"
            " * absolute symbol ${mp}_size is its size (build PIE host\n"
            " * programs with -fPIC). */\n"
            "extern uint8_t ${mp}_start;\n"
            "extern uint8_t ${mp}_size;\n\n")
    endif()
    string(CONCAT asm_text
        "/* Generated by romfs_embed_image(): the ROMFS image ${image} in ${section}. */\n"
        "#include \"${symbol}_romfs_inputs.h\"\n\n"
        "    .section ${section},\"a\",%progbits\n"
        "    .balign ROMFS_IMAGE_ALIGN\n"
        "    .globl ${start}\n"
        "    .globl ${end}\n"
        "    .type ${start}, %object\n"
        "${start}:\n"
        "${mp_labels}"
        "    .incbin ${image_macro}\n"
        "${end}:\n"
        "    .size ${start}, ${length}\n"
        "${reserve}"
        "${mp_sizes}"
        "\n#if defined(__ELF__) && defined(__linux__)\n"
        "    .section .note.GNU-stack,\"\",%progbits  /* no executable stack */\n"
        "#endif\n")
    string(CONCAT header_text
        "/* Generated by romfs_embed_image(): the symbols around the ROMFS image\n"
        " * ${image}, linked into section ${section}. Names only: nothing here changes\n"
        " * with the image's contents. Read it with Romfs::reader (romfs/reader.h). */\n"
        "#ifndef ROMFS_EMBED_${symbol}_H\n"
        "#define ROMFS_EMBED_${symbol}_H\n\n"
        "#include <stddef.h>\n#include <stdint.h>\n\n"
        "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
        "/* The image's first byte, and one past its last. */\n"
        "extern const uint8_t ${start}[];\n"
        "extern const uint8_t ${end}[];\n\n"
        "static inline size_t ${symbol}_romfs_size(void) {\n"
        "    return (size_t)(${end} - ${start});\n}\n\n"
        "${mp_decls}"
        "#ifdef __cplusplus\n}\n#endif\n\n#endif\n")
    set(region_text "")
    if(region)
        set(region_text " > ${region}")
    endif()
    string(CONCAT fragment_text
        "/* Generated by romfs_embed_image(): the ROMFS image ${image}. INCLUDE this\n"
        " * inside SECTIONS { }. The section keeps the alignment its contents ask\n"
        " * for (the image's largest file alignment); KEEP stops --gc-sections from\n"
        " * dropping it, and a region too small for it fails the link. */\n"
        "${section} :\n{\n    KEEP(*(${section}))\n}${region_text}\n")
    foreach(kind asm header fragment)
        file(CONFIGURE OUTPUT "${${kind}}" CONTENT "@${kind}_text@" @ONLY)
    endforeach()

    target_sources(${lib} INTERFACE "${asm}")
    target_include_directories(${lib} INTERFACE "${dir}/include")
    target_link_directories(${lib} INTERFACE "${dir}")
    set_property(TARGET ${lib} APPEND PROPERTY INTERFACE_LINK_DEPENDS "${fragment}")
    add_dependencies(${lib} ${image})
    set_target_properties(${lib} PROPERTIES
        ROMFS_IMAGE_TARGET "${image}"
        ROMFS_EMBED_SOURCE "${asm}"
        ROMFS_EMBED_HEADER "${header}"
        ROMFS_LINKER_FRAGMENT "${fragment}")

    # A linker script's assignment to a symbol overrides an object file's
    # definition without a word (GNU ld and lld alike), so a
    # firmware script that defines the partition symbols would hide the
    # image's. An implicit linker script (a link input, not -T) ASSERTs that
    # they are the image's; _romfs_embed_finish writes one per consumer,
    # naming its -T scripts, and a generic one for consumers it cannot see.
    if(NOT part STREQUAL "")
        set(check_dir "${dir}/check")
        set(checks "")
        foreach(what start size)
            if(what STREQUAL "start")
                set(want "${start}")
            else()
                set(want "${size_value}")
            endif()
            list(APPEND checks "${mp}_${what}" "${want}")
        endforeach()
        set(consumer_check "$<TARGET_PROPERTY:_ROMFS_CHECK_${lib}>")
        set(check "$<IF:$<BOOL:${consumer_check}>,${consumer_check},${check_dir}/generic.ld>")
        set_property(TARGET ${lib} APPEND PROPERTY INTERFACE_LINK_OPTIONS "${check}")
        set_property(TARGET ${lib} APPEND PROPERTY INTERFACE_LINK_DEPENDS "${check}")
        set_target_properties(${lib} PROPERTIES
            _ROMFS_CHECKS "${checks}"
            _ROMFS_CHECK_DIR "${check_dir}")
    endif()
endfunction()

function(romfs_embed_image first)
    set(keywords SECTION SYMBOL MICROPYTHON_PARTITION SIZE REGION TARGET)
    if(ARGC GREATER 1 AND NOT ARGV1 IN_LIST keywords)
        set(firmware "${first}")
        set(image "${ARGV1}")
        set(where "romfs_embed_image(${firmware} ${image})")
        cmake_parse_arguments(PARSE_ARGV 2 arg "" "${keywords}" "")
        list(SUBLIST ARGN 1 -1 options)
    else()
        set(firmware "")
        set(image "${first}")
        set(where "romfs_embed_image(${image})")
        cmake_parse_arguments(PARSE_ARGV 1 arg "" "${keywords}" "")
        set(options "${ARGN}")
    endif()
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "${where}: unknown arguments ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(firmware AND NOT TARGET "${firmware}")
        message(FATAL_ERROR "${where}: no target named ${firmware}")
    endif()
    if(TARGET "${image}")
        get_target_property(image_file ${image} ROMFS_IMAGE)
        if(NOT image_file)
            message(FATAL_ERROR "${where}: ${image} was not made by romfs_add_image()")
        endif()
    endif()
    set(section "${arg_SECTION}")
    if(NOT section)
        set(section ".romfs")
    endif()
    set(symbol "${arg_SYMBOL}")
    if(NOT symbol)
        set(symbol "${image}")
    endif()
    if(NOT symbol MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
        message(FATAL_ERROR "${where}: SYMBOL '${symbol}' is not a C identifier"
            " (it defaults to the image target's name; give SYMBOL <prefix>)")
    endif()
    if(NOT section MATCHES "^[.A-Za-z_][.A-Za-z0-9_]*$")
        message(FATAL_ERROR "${where}: SECTION '${section}' is not a section name")
    endif()
    set(part "${arg_MICROPYTHON_PARTITION}")
    if(NOT part STREQUAL "" AND NOT part MATCHES "^[01]$")
        message(FATAL_ERROR "${where}: MICROPYTHON_PARTITION must be 0 or 1, not '${part}'")
    endif()
    set(size_given OFF)
    if("SIZE" IN_LIST options)
        set(size_given ON)
    endif()
    _romfs_size_option("${where}" ${size_given} "${arg_SIZE}" size_bytes)
    set(lib "${arg_TARGET}")
    if(NOT lib)
        set(lib "${image}_embedded")
    endif()

    # What the library is, in words; a second request must ask for the same.
    set(wanted "${image} in SECTION ${section} with SYMBOL ${symbol}")
    if(NOT part STREQUAL "")
        string(APPEND wanted " MICROPYTHON_PARTITION ${part}")
    endif()
    if(size_bytes)
        string(APPEND wanted " SIZE ${size_bytes}")
    endif()
    if(arg_REGION)
        string(APPEND wanted " REGION ${arg_REGION}")
    endif()
    if(TARGET "${lib}")
        get_target_property(have ${lib} ROMFS_EMBED_OPTIONS)
        if(NOT have)
            message(FATAL_ERROR "${where}: a target named ${lib} exists and was not made by "
                "romfs_embed_image(); name the library with TARGET <name>")
        elseif(NOT have STREQUAL wanted)
            message(FATAL_ERROR "${where}: ${lib} already embeds ${have}; this call asks for "
                "${wanted}. Give this embedding a library of its own with TARGET <name>")
        endif()
    else()
        add_library(${lib} INTERFACE)
        set_target_properties(${lib} PROPERTIES ROMFS_EMBED_OPTIONS "${wanted}")
        set(dir "${CMAKE_CURRENT_BINARY_DIR}/romfs_embed/${lib}")
        _romfs_embed_files(${lib} ${image} "${dir}" "${section}" "${symbol}" "${part}"
            "${size_bytes}" "${arg_SIZE}" "${arg_REGION}")
        set_property(GLOBAL APPEND PROPERTY _ROMFS_EMBED_LIBRARIES ${lib})
        get_property(scheduled GLOBAL PROPERTY _ROMFS_EMBED_FINISH_SCHEDULED)
        if(NOT scheduled)
            set_property(GLOBAL PROPERTY _ROMFS_EMBED_FINISH_SCHEDULED ON)
            cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _romfs_embed_finish)
        endif()
    endif()
    if(firmware)
        get_target_property(links ${firmware} LINK_LIBRARIES)
        if(NOT lib IN_LIST links)
            # As target_link_libraries(<firmware> PRIVATE <lib>) would, but
            # whichever signature the firmware's own calls use.
            set_property(TARGET ${firmware} APPEND PROPERTY LINK_LIBRARIES ${lib})
        endif()
    endif()
endfunction()

# Every buildsystem target under <dir>, recursively.
function(_romfs_targets_under dir out_var)
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
    foreach(sub IN LISTS subdirs)
        _romfs_targets_under("${sub}" more)
        list(APPEND targets ${more})
    endforeach()
    set(${out_var} "${targets}" PARENT_SCOPE)
endfunction()

# At the end of the top-level directory, once every target is known: the
# checks that had to wait for the image targets and the languages, and the
# linker scripts that guard the partition symbols.
function(_romfs_embed_finish)
    get_property(libs GLOBAL PROPERTY _ROMFS_EMBED_LIBRARIES)
    get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
    _romfs_targets_under("${CMAKE_SOURCE_DIR}" targets)
    foreach(lib IN LISTS libs)
        get_target_property(image ${lib} ROMFS_IMAGE_TARGET)
        if(NOT TARGET "${image}")
            message(FATAL_ERROR "romfs_embed_image(${image}): no target named ${image}; "
                "make it with romfs_add_image(${image} ...)")
        endif()
        get_target_property(image_file ${image} ROMFS_IMAGE)
        if(NOT image_file)
            message(FATAL_ERROR "romfs_embed_image(${image}): ${image} was not made by "
                "romfs_add_image()")
        endif()
        if(NOT "ASM" IN_LIST languages)
            message(FATAL_ERROR "romfs_embed_image(${image}): the image is linked in through an "
                "assembly file; enable the ASM language, for example project(<name> C ASM)")
        endif()
        get_target_property(checks ${lib} _ROMFS_CHECKS)
        if(checks)
            _romfs_write_checks(${lib} "${checks}" "${targets}")
        endif()
    endforeach()
endfunction()

# The implicit linker scripts of <lib>: one for each target that links it
# directly, naming that target's -T scripts, and one for any other.
function(_romfs_write_checks lib checks targets)
    get_target_property(asm ${lib} ROMFS_EMBED_SOURCE)
    get_target_property(dir ${lib} _ROMFS_CHECK_DIR)
    # -T<file>, -Wl,-T,<file>, -Wl,--script=<file>, LINKER:-T,<file>; a dot
    # stands for the comma a generator expression cannot hold.
    set(script_options "^(SHELL:)?(-T|-Wl.-T|-Wl.--script|LINKER:-T|LINKER:--script|--script)")
    _romfs_check_text("${asm}" "${checks}" "the firmware's linker script" generic)
    file(GENERATE OUTPUT "${dir}/generic.ld" CONTENT "${generic}")
    foreach(target IN LISTS targets)
        get_target_property(type ${target} TYPE)
        get_target_property(links ${target} LINK_LIBRARIES)
        if(type MATCHES "^(EXECUTABLE|SHARED_LIBRARY|MODULE_LIBRARY)$" AND lib IN_LIST links)
            set(scripts "$<FILTER:$<TARGET_PROPERTY:${target},LINK_OPTIONS>,INCLUDE,${script_options}>")
            _romfs_check_text("${asm}" "${checks}"
                "a linker script of ${target}$<$<BOOL:${scripts}>: ($<JOIN:${scripts}, >)>" text)
            file(GENERATE OUTPUT "${dir}/${target}.ld" CONTENT "${text}" TARGET ${target})
            set_property(TARGET ${target} PROPERTY _ROMFS_CHECK_${lib} "${dir}/${target}.ld")
        endif()
    endforeach()
endfunction()

# The ASSERTs for <checks> (symbol;wanted value;...), blaming <script>.
function(_romfs_check_text asm checks script out_var)
    string(CONCAT text
        "/* Generated by romfs_embed_image(): MicroPython's partition symbols must be the\n"
        " * ones ${asm} defines. A linker script that assigns them\n"
        " * overrides them silently, so this script, a link input, checks. */\n")
    while(checks)
        list(POP_FRONT checks symbol want)
        string(APPEND text "ASSERT(${symbol} == ${want}, \"romfs: ${symbol} is defined by "
            "${script}, which overrides its definition in ${asm} (romfs_embed_image "
            "MICROPYTHON_PARTITION); remove it from the linker script (PROVIDE() is fine) or "
            "drop MICROPYTHON_PARTITION\");\n")
    endwhile()
    set(${out_var} "${text}" PARENT_SCOPE)
endfunction()

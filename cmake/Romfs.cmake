# Romfs.cmake: MicroPython ROMFS images in a CMake build.
#
#   romfs_add_image(<name> MANIFEST <file.yaml>
#                   [OUTPUT <path>]            # default ${CMAKE_CURRENT_BINARY_DIR}/<name>.romfs
#                   [DEFINES NAME=VALUE ...]   # -D for the manifest; BUILD and SOURCE always set
#                   [SIZE <bytes|128K|8M>]     # overrides image.size
#                   [CACHE_DIR <dir>]          # default ROMFS_CACHE_DIR, else <build>/romfs-cache
#                   [DEPENDS <file|target> ...]  # more inputs, e.g. a generated source
#                   [ALL])
#
# makes target <name>, which builds the image with exact incremental
# rebuilds: the packer writes a depfile naming the manifest, every file
# it packed and every directory it listed (so an added or removed file
# counts), and it leaves the image untouched when nothing that shapes its
# bytes changed, so with Ninja's restat nothing downstream relinks. The
# target's properties say where things are: ROMFS_IMAGE, ROMFS_LISTING
# (the `romfs ls` text of the image), ROMFS_MANIFEST, ROMFS_CACHE_DIR.
#
# Whatever consumes the image must depend on it explicitly (for example
# DEPENDS $<TARGET_PROPERTY:<name>,ROMFS_IMAGE>): an .incbin is invisible
# to compiler dependency files.
#
# The packer always runs on the build host. It is, in this order:
# ROMFS_EXECUTABLE if set; the `romfs` target of this build (romfs added
# with add_subdirectory() or FetchContent, not cross-compiling); the
# installed one (find_package(Romfs)); `romfs` on PATH; else, when
# cross-compiling from romfs's sources, one built for the host with
# ExternalProject and ROMFS_HOST_C_COMPILER (default: the host's cc),
# never with the target toolchain.

include_guard(GLOBAL)

set(ROMFS_EXECUTABLE "" CACHE FILEPATH "A prebuilt romfs packer for the build host (optional)")
set(ROMFS_CACHE_DIR "" CACHE PATH "Cache directory for romfs images (shareable between build trees)")

# The host packer built from source with ExternalProject, for cross builds.
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
        include(ExternalProject)
        # BUILD_ALWAYS: the sub-build is Ninja's or make's own no-op check; the
        # packer binary it leaves alone keeps its mtime, so images stay put.
        ExternalProject_Add(_romfs_host
            SOURCE_DIR "${source}"
            BINARY_DIR "${binary}"
            CMAKE_ARGS
                -DCMAKE_BUILD_TYPE=Release
                -DCMAKE_TOOLCHAIN_FILE=
                -DCMAKE_C_COMPILER=${ROMFS_HOST_C_COMPILER}
                -DROMFS_BUILD_TESTS=OFF
            BUILD_ALWAYS ON
            BUILD_BYPRODUCTS "${exe}"
            INSTALL_COMMAND "")
    endif()
    set(${out_exe} "${exe}" PARENT_SCOPE)
endfunction()

# The packer to run (`exe`) and what the custom command must depend on
# so that a rebuilt packer rebuilds the images (`deps`).
function(_romfs_packer out_exe out_deps)
    if(ROMFS_EXECUTABLE)
        set(exe "${ROMFS_EXECUTABLE}")
        set(deps "${ROMFS_EXECUTABLE}")
    elseif(TARGET romfs)
        set(exe "$<TARGET_FILE:romfs>")
        set(deps romfs)
    elseif(TARGET Romfs::romfs)
        set(exe "$<TARGET_FILE:Romfs::romfs>")
        set(deps "$<TARGET_FILE:Romfs::romfs>")
    else()
        find_program(_ROMFS_ON_PATH romfs NO_CMAKE_FIND_ROOT_PATH)
        if(_ROMFS_ON_PATH)
            set(exe "${_ROMFS_ON_PATH}")
            set(deps "${_ROMFS_ON_PATH}")
        elseif(CMAKE_CROSSCOMPILING AND EXISTS "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../tool/main.c")
            _romfs_host_packer(exe)
            set(deps _romfs_host "${exe}")
        else()
            message(FATAL_ERROR "romfs: no romfs packer: set ROMFS_EXECUTABLE, put romfs on "
                "PATH, or add romfs's sources with add_subdirectory() or FetchContent")
        endif()
    endif()
    set(${out_exe} "${exe}" PARENT_SCOPE)
    set(${out_deps} "${deps}" PARENT_SCOPE)
endfunction()

function(romfs_add_image name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "ALL" "MANIFEST;OUTPUT;SIZE;CACHE_DIR" "DEFINES;DEPENDS")
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "romfs_add_image(${name}): unknown arguments ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT arg_MANIFEST)
        message(FATAL_ERROR "romfs_add_image(${name}): MANIFEST <file.yaml> is required")
    endif()
    get_filename_component(manifest "${arg_MANIFEST}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT arg_OUTPUT)
        set(arg_OUTPUT "${name}.romfs")
    endif()
    get_filename_component(output "${arg_OUTPUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    get_filename_component(output_dir "${output}" DIRECTORY)
    file(MAKE_DIRECTORY "${output_dir}")
    set(depfile "${output}.d")
    set(listing "${output}.txt")
    if(arg_CACHE_DIR)
        get_filename_component(cache_dir "${arg_CACHE_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    elseif(ROMFS_CACHE_DIR)
        set(cache_dir "${ROMFS_CACHE_DIR}")
    else()
        set(cache_dir "${CMAKE_BINARY_DIR}/romfs-cache")
    endif()

    set(args build "${manifest}" -o "${output}" --depfile "${depfile}" --listing "${listing}"
        --cache-dir "${cache_dir}"
        -D "BUILD=${CMAKE_CURRENT_BINARY_DIR}" -D "SOURCE=${CMAKE_CURRENT_SOURCE_DIR}")
    foreach(def IN LISTS arg_DEFINES)
        list(APPEND args -D "${def}")
    endforeach()
    if(arg_SIZE)
        list(APPEND args --size "${arg_SIZE}")
    endif()

    # Make does not rerun a rule whose command changed; this file, rewritten
    # only when the arguments change, makes a changed DEFINE or SIZE an input.
    string(REPLACE ";" "\n" args_text "${args}")
    set(args_file "${output}.args")
    file(CONFIGURE OUTPUT "${args_file}" CONTENT "@args_text@\n" @ONLY)

    _romfs_packer(packer packer_deps)
    add_custom_command(
        OUTPUT "${output}"
        BYPRODUCTS "${listing}"
        COMMAND ${packer} ${args}
        DEPENDS "${manifest}" "${args_file}" ${packer_deps} ${arg_DEPENDS}
        DEPFILE "${depfile}"
        COMMENT "Packing ROMFS image ${name}"
        VERBATIM)
    if(arg_ALL)
        add_custom_target(${name} ALL DEPENDS "${output}")
    else()
        add_custom_target(${name} DEPENDS "${output}")
    endif()
    set_target_properties(${name} PROPERTIES
        ROMFS_IMAGE "${output}"
        ROMFS_LISTING "${listing}"
        ROMFS_MANIFEST "${manifest}"
        ROMFS_CACHE_DIR "${cache_dir}")
endfunction()

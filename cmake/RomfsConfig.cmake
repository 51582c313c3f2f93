# find_package(Romfs CONFIG): the installed packer (Romfs::romfs) and the
# functions of Romfs.cmake.
include("${CMAKE_CURRENT_LIST_DIR}/RomfsTargets.cmake" OPTIONAL)
include("${CMAKE_CURRENT_LIST_DIR}/Romfs.cmake")

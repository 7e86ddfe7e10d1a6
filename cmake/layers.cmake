# The layers' direction, enforced by the compiler (docs/ARCHITECTURE.md
# "Layers"). Each library of a layer compiles against one include root of
# its own under the build tree, made of symbolic links: its own folder, the
# folders of the layers it may include, and single contract headers of
# others (CONTRACTS). An include against the direction is then a missing
# file, and fails to compile. Tests, the bench and the fuzz targets see the
# whole tree.
function(sb_layer target)
  cmake_parse_arguments(L "" "" "SEES;CONTRACTS" ${ARGN})
  set(root "${CMAKE_BINARY_DIR}/layers/${target}")
  file(REMOVE_RECURSE "${root}")
  file(MAKE_DIRECTORY "${root}")
  foreach(dir IN LISTS L_SEES)
    file(CREATE_LINK "${PROJECT_SOURCE_DIR}/${dir}" "${root}/${dir}" SYMBOLIC)
  endforeach()
  foreach(header IN LISTS L_CONTRACTS)
    get_filename_component(dir "${header}" DIRECTORY)
    file(MAKE_DIRECTORY "${root}/${dir}")
    file(CREATE_LINK "${PROJECT_SOURCE_DIR}/${header}" "${root}/${header}"
         SYMBOLIC)
  endforeach()
  target_include_directories(${target} PRIVATE "${root}")
endfunction()

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

# A header-only contract of one layer that another layer may include (an
# interface it implements, or plain data it is handed), as an INTERFACE
# library: linking it gives that one header, from an include root holding
# nothing else of its layer.
function(sb_contract target header)
  set(root "${CMAKE_BINARY_DIR}/contracts/${target}")
  file(REMOVE_RECURSE "${root}")
  get_filename_component(dir "${header}" DIRECTORY)
  file(MAKE_DIRECTORY "${root}/${dir}")
  file(CREATE_LINK "${PROJECT_SOURCE_DIR}/${header}" "${root}/${header}"
       SYMBOLIC)
  add_library(${target} INTERFACE)
  target_include_directories(${target} INTERFACE "${root}")
endfunction()

# The contracts between layers (docs/ARCHITECTURE.md "Layers"):
# the connection the actors write to, which net implements;
sb_contract(sb_client_connection actors/client_connection.hpp)
# requests and responses as plain data, from net to rest and admin.
sb_contract(sb_http_types net/http_types.hpp)

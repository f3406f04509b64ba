# layers.cmake: the build's layering rule. Every module (a folder of src/ or sandbox/) is a
# static library whose link line lists the modules it may use (ct_module ... DEPS ...), and
# whose compiler sees only their headers: its include path is a folder of symbolic links,
# build/layers/<target>/, holding the module itself and every module reachable through its
# DEPS (the dependency direction drawn in docs/ARCHITECTURE.md). A module that includes a
# header of any other module fails to compile ("No such file or directory"), and
# tests/layering shows it. Executables and tests get the same treatment through
# ct_layered_target().
#
# A module's KEY is the path its headers are included by: "base" for src/base/base.h-style
# includes ("base/log.h"), "sandbox/world" for "sandbox/world/world.h".

# ct__layer_closure(OUT DEPS...): the "key=dir" pairs visible to a target with these DEPS.
function(ct__layer_closure out)
  set(pairs "")
  foreach(dep ${ARGN})
    get_property(known GLOBAL PROPERTY CT_LAYER_KNOWN_${dep})
    if(NOT known)
      message(FATAL_ERROR "layers: ${dep} is not a module declared before its users")
    endif()
    get_property(dep_pairs GLOBAL PROPERTY CT_LAYER_${dep})
    list(APPEND pairs ${dep_pairs})
  endforeach()
  list(REMOVE_DUPLICATES pairs)
  set(${out} "${pairs}" PARENT_SCOPE)
endfunction()

# ct__layer_farm(TARGET PAIRS...): build/layers/TARGET/ with one link per pair, as the
# target's only project include path.
function(ct__layer_farm target)
  set(farm ${CMAKE_BINARY_DIR}/layers/${target})
  file(REMOVE_RECURSE ${farm})
  file(MAKE_DIRECTORY ${farm})
  foreach(pair ${ARGN})
    string(REPLACE "=" ";" kv ${pair})
    list(GET kv 0 key)
    list(GET kv 1 dir)
    get_filename_component(parent ${farm}/${key} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/${dir} ${farm}/${key} SYMBOLIC)
  endforeach()
  target_include_directories(${target} PRIVATE ${farm})
endfunction()

# ct_module(TARGET KEY key DIR dir [DEPS module...] [SOURCES file...] [EXCLUDE_FROM_ALL])
# SOURCES defaults to DIR/*.c.
function(ct_module target)
  cmake_parse_arguments(M "EXCLUDE_FROM_ALL" "KEY;DIR" "DEPS;SOURCES" ${ARGN})
  if(NOT M_SOURCES)
    file(GLOB M_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${M_DIR}/*.c)
  endif()
  if(M_EXCLUDE_FROM_ALL)
    add_library(${target} STATIC EXCLUDE_FROM_ALL ${M_SOURCES})
  else()
    add_library(${target} STATIC ${M_SOURCES})
  endif()
  ct__layer_closure(pairs ${M_DEPS})
  list(PREPEND pairs "${M_KEY}=${M_DIR}")
  list(REMOVE_DUPLICATES pairs)
  set_property(GLOBAL PROPERTY CT_LAYER_${target} "${pairs}")
  set_property(GLOBAL PROPERTY CT_LAYER_KNOWN_${target} TRUE)
  ct__layer_farm(${target} ${pairs})
  target_compile_options(${target} PRIVATE ${CT_WARNINGS} ${CT_HARDENING})
  target_link_libraries(${target} PUBLIC ${M_DEPS} PkgConfig::DEPS Threads::Threads m)
endfunction()

# ct_layered_target(TARGET DEPS module...): an executable (program, test, benchmark) that may
# include the headers of DEPS (and what they reach) and links them.
function(ct_layered_target target)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  ct__layer_closure(pairs ${M_DEPS})
  ct__layer_farm(${target} ${pairs})
  target_link_libraries(${target} PRIVATE ${M_DEPS})
endfunction()

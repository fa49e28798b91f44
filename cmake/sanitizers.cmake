# Sanitizer builds (docs/RELIABILITY.md, "Sanitizers"; scripts/test-sanitizers).
#
# ROLLRIG_SANITIZE names the sanitizers as -fsanitize= takes them: "address,undefined" for the
# ASan + UBSan build, "thread" for the TSan build, empty (the default) for a normal build.
# rollrig_apply_sanitizers() links the interface target rollrig::sanitizers into every host target
# that compiles code (libraries, executables, tests, benchmarks), so the flags live here and
# nowhere else. The firmware is a separate CMake project with the avr-gcc toolchain
# (ExternalProject in the top-level CMakeLists.txt); it is not a target of this project and never
# gets these flags.
set(ROLLRIG_SANITIZE "" CACHE STRING
  "Sanitizers for every host target, as -fsanitize= takes them (address,undefined or thread); empty: none")

function(_rollrig_collect_targets dir out_var)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _rollrig_collect_targets("${sub}" sub_targets)
    list(APPEND targets ${sub_targets})
  endforeach()
  set(${out_var} ${targets} PARENT_SCOPE)
endfunction()

# Call once, at the end of the top-level CMakeLists.txt, after every target is defined.
function(rollrig_apply_sanitizers)
  if(NOT ROLLRIG_SANITIZE)
    return()
  endif()
  if(ROLLRIG_SANITIZE MATCHES "thread" AND ROLLRIG_SANITIZE MATCHES "address|leak")
    message(FATAL_ERROR "ROLLRIG_SANITIZE=${ROLLRIG_SANITIZE}: ThreadSanitizer cannot be combined "
      "with AddressSanitizer or LeakSanitizer; use two build directories")
  endif()
  add_library(rollrig_sanitizers INTERFACE)
  add_library(rollrig::sanitizers ALIAS rollrig_sanitizers)
  # -fno-sanitize-recover=all: a UBSan finding aborts the test instead of printing and going on,
  # so ctest sees it. Frame pointers keep the reports' stacks whole.
  target_compile_options(rollrig_sanitizers INTERFACE
    -fsanitize=${ROLLRIG_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(rollrig_sanitizers INTERFACE -fsanitize=${ROLLRIG_SANITIZE})

  _rollrig_collect_targets("${PROJECT_SOURCE_DIR}" targets)
  set(applied 0)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    get_target_property(imported ${target} IMPORTED)
    if(imported OR NOT type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY)$")
      continue()
    endif()
    target_link_libraries(${target} PRIVATE rollrig::sanitizers)
    math(EXPR applied "${applied} + 1")
  endforeach()
  message(STATUS "rollrig: -fsanitize=${ROLLRIG_SANITIZE} on ${applied} host targets")
endfunction()

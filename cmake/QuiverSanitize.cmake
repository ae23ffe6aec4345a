# Instrumented builds, each in a build directory of its own; the default build sets neither option.
#   QUIVER_SANITIZE=address,undefined  every target of the build (make test-asan: build-asan, gcc)
#   QUIVER_FUZZ=ON                     libFuzzer coverage and the tests/fuzz targets (make fuzz:
#                                      build-fuzz, clang; combine with QUIVER_SANITIZE)
# The prebuilt Arrow (pyarrow wheel) and DuckDB (npm) libraries are linked, not instrumented.
set(QUIVER_SANITIZE "" CACHE STRING "-fsanitize= list applied to every target (empty: none)")
option(QUIVER_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

if(QUIVER_SANITIZE)
  # Stop at the first error (tests must not pass over undefined behaviour) and keep frames for
  # readable stacks.
  add_compile_options(-fsanitize=${QUIVER_SANITIZE} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${QUIVER_SANITIZE})
  if(QUIVER_SANITIZE MATCHES "undefined" AND NOT QUIVER_FUZZ)
    # Arrow does not realign buffers read from the wire (IPC bodies in gRPC messages), so its
    # inline accessors load offsets from misaligned addresses: harmless on the platforms Arrow
    # supports and excluded from Arrow's own UBSan builds for that reason. (The fuzz targets copy
    # their inputs into aligned buffers, so fuzz builds keep the check.)
    add_compile_options(-fno-sanitize=alignment)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's sanitizer instrumentation defeats its flow analysis: -Wmaybe-uninitialized then
    # fires on std::optional moves inside Arrow's headers (GCC documents such false positives).
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()

if(QUIVER_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "QUIVER_FUZZ needs clang (make fuzz sets CXX=clang++-14)")
  endif()
  # Coverage feedback everywhere; only the fuzz executables link libFuzzer's main().
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

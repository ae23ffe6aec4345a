# Locates the prebuilt dependencies that scripts/bootstrap installs:
#   Arrow C++ + Flight from the pyarrow wheel in .venv/, DuckDB from npm in .deps/duckdb.
set(QUIVER_PYTHON "${CMAKE_SOURCE_DIR}/.venv/bin/python" CACHE FILEPATH "Python of the project venv")
execute_process(
  COMMAND "${QUIVER_PYTHON}" -c "import pyarrow, os; print(os.path.dirname(pyarrow.__file__))"
  OUTPUT_VARIABLE PYARROW_DIR OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE pyarrow_rc)
if(NOT pyarrow_rc EQUAL 0 OR NOT EXISTS "${PYARROW_DIR}/include/arrow/flight/api.h")
  message(FATAL_ERROR "pyarrow with Flight headers not found; run scripts/bootstrap first")
endif()

file(GLOB ARROW_LIB "${PYARROW_DIR}/libarrow.so.[0-9]*")
file(GLOB ARROW_FLIGHT_LIB "${PYARROW_DIR}/libarrow_flight.so.[0-9]*")
add_library(arrow_wheel SHARED IMPORTED GLOBAL)
set_target_properties(arrow_wheel PROPERTIES IMPORTED_LOCATION "${ARROW_LIB}"
  INTERFACE_INCLUDE_DIRECTORIES "${PYARROW_DIR}/include"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${PYARROW_DIR}/include")
add_library(arrow_flight_wheel SHARED IMPORTED GLOBAL)
set_target_properties(arrow_flight_wheel PROPERTIES IMPORTED_LOCATION "${ARROW_FLIGHT_LIB}"
  INTERFACE_LINK_LIBRARIES arrow_wheel)
file(GLOB PARQUET_LIB "${PYARROW_DIR}/libparquet.so.[0-9]*")
add_library(parquet_wheel SHARED IMPORTED GLOBAL)
set_target_properties(parquet_wheel PROPERTIES IMPORTED_LOCATION "${PARQUET_LIB}"
  INTERFACE_LINK_LIBRARIES arrow_wheel)

set(DUCKDB_DIR "${CMAKE_SOURCE_DIR}/.deps/duckdb")
if(NOT EXISTS "${DUCKDB_DIR}/include/duckdb.h")
  message(FATAL_ERROR "DuckDB not found in ${DUCKDB_DIR}; run scripts/bootstrap first")
endif()
add_library(duckdb_npm SHARED IMPORTED GLOBAL)
set_target_properties(duckdb_npm PROPERTIES IMPORTED_LOCATION "${DUCKDB_DIR}/lib/libduckdb.so"
  IMPORTED_NO_SONAME TRUE
  INTERFACE_INCLUDE_DIRECTORIES "${DUCKDB_DIR}/include"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${DUCKDB_DIR}/include")

# Binaries find the wheel's and npm's libraries where bootstrap put them.
set(CMAKE_BUILD_RPATH "${PYARROW_DIR};${DUCKDB_DIR}/lib")
set(CMAKE_INSTALL_RPATH "${PYARROW_DIR};${DUCKDB_DIR}/lib")

find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(GTest REQUIRED)

# ctest driver: install the build tree into a temporary prefix, build the consumer project
# against it with find_package, run it; then build a C program with pkg-config flags.
# Inputs: -DBUILD_DIR=… -DSOURCE_DIR=… -DWORK_DIR=…
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
run(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -G Ninja "-DCMAKE_PREFIX_PATH=${prefix}")
run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("${WORK_DIR}/build/consumer_shared")
run("${WORK_DIR}/build/consumer_static")

# The installed shared library carries its SONAME.
execute_process(COMMAND objdump -p "${WORK_DIR}/build/consumer_shared" OUTPUT_VARIABLE deps)
if(NOT deps MATCHES "NEEDED +libnetwork_system\\.so\\.0")
  message(FATAL_ERROR "consumer_shared does not depend on libnetwork_system.so.0:\n${deps}")
endif()

find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  file(GLOB pcdir "${prefix}/lib*/pkgconfig" "${prefix}/lib/*/pkgconfig")
  set(ENV{PKG_CONFIG_PATH} "${pcdir}")
  execute_process(COMMAND ${PKG_CONFIG} --cflags --libs network_system OUTPUT_VARIABLE flags
                  RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config cannot find network_system in ${pcdir}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(cc -std=c11 -Wall -Wpedantic -Werror "${SOURCE_DIR}/pkgconfig_main.c" ${flags}
      "-Wl,-rpath,${prefix}/lib" -o "${WORK_DIR}/pkgconfig_consumer")
  run("${WORK_DIR}/pkgconfig_consumer")
else()
  message(STATUS "pkg-config not installed: pkg-config check skipped")
endif()
message(STATUS "consumer project built and ran against ${prefix}")

#!/usr/bin/env bash
# `bazel run //:install -- --prefix DIR`: installs redpool for builds outside Bazel.
#   DIR/include/redpool/...                 the public headers
#   DIR/lib/libredpool.a                    the library, one static archive
#   DIR/lib/pkgconfig/redpool.pc            for pkg-config --cflags --libs redpool
#   DIR/lib/cmake/redpool/redpoolConfig.cmake   find_package(redpool): target redpool::redpool
# The library is static, so what it links against (hiredis, fmt, OpenSSL, pthread) is in the
# plain Libs line and the CMake target's link interface, not only in Libs.private.
set -euo pipefail

prefix=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:-}"; shift 2 || { echo "install: --prefix needs a directory" >&2; exit 2; } ;;
        --prefix=*) prefix="${1#--prefix=}"; shift ;;
        *) echo "install: unknown argument \"$1\" (usage: bazel run //:install -- --prefix DIR)" >&2; exit 2 ;;
    esac
done
[ -n "$prefix" ] || { echo "install: usage: bazel run //:install -- --prefix DIR" >&2; exit 2; }
# A relative prefix is relative to where `bazel run` was typed, not to the runfiles tree.
case "$prefix" in
    /*) ;;
    *) prefix="${BUILD_WORKING_DIRECTORY:-$PWD}/$prefix" ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
runfiles="${RUNFILES_DIR:-$0.runfiles}/redpool"
[ -d "$runfiles" ] || runfiles="$here/install.runfiles/redpool"
archive="$runfiles/libredpool.a"
flags_file="$runfiles/libredpool.flags"
[ -f "$archive" ] || { echo "install: $archive not found (run it with bazel run //:install)" >&2; exit 1; }

defines="$(sed -n 's/^defines=//p' "$flags_file")"
link="$(sed -n 's/^link=//p' "$flags_file")"
version="0.1.0"

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/redpool"
rm -rf "$prefix/include/redpool"
cp -R "$runfiles/include/redpool" "$prefix/include/redpool"
chmod -R u+w,a+r "$prefix/include/redpool"
install -m 644 "$archive" "$prefix/lib/libredpool.a"

cat > "$prefix/lib/pkgconfig/redpool.pc" <<PC
prefix=$prefix
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: redpool
Description: C++20 Redis client with a go-redis-style connection pool
Version: $version
Cflags: -std=c++20 -I\${includedir} $defines
Libs: -L\${libdir} -lredpool $link
PC

cmake_defines="$(echo "$defines" | sed 's/-D//g; s/ /;/g')"
cmake_link="$(echo "$link" | sed 's/-l//g; s/ /;/g')"
cat > "$prefix/lib/cmake/redpool/redpoolConfig.cmake" <<CMAKE
# redpool $version: find_package(redpool) gives the imported target redpool::redpool.
get_filename_component(_redpool_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET redpool::redpool)
    add_library(redpool::redpool STATIC IMPORTED)
    set_target_properties(redpool::redpool PROPERTIES
        IMPORTED_LOCATION "\${_redpool_prefix}/lib/libredpool.a"
        INTERFACE_INCLUDE_DIRECTORIES "\${_redpool_prefix}/include"
        INTERFACE_COMPILE_DEFINITIONS "$cmake_defines"
        INTERFACE_COMPILE_FEATURES cxx_std_20
        INTERFACE_LINK_LIBRARIES "$cmake_link")
endif()
unset(_redpool_prefix)
CMAKE
cat > "$prefix/lib/cmake/redpool/redpoolConfigVersion.cmake" <<CMAKE
set(PACKAGE_VERSION "$version")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
    set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
    if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
        set(PACKAGE_VERSION_EXACT TRUE)
    endif()
endif()
CMAKE
echo "installed redpool $version in $prefix: include/redpool, lib/libredpool.a, lib/pkgconfig/redpool.pc, lib/cmake/redpool"

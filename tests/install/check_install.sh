#!/usr/bin/env bash
# Installs a build into a scratch prefix and builds examples/c/quickstart.c against it
# twice, with the installed genmodels.pc only: once against libgenmodels.so and once
# against libgenmodels.a (what `pkg-config --static` is for), then runs both.
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$(dirname "$0")/../..")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

meson install -C "$build" --destdir "$work/root" --quiet >/dev/null
prefix=$(find "$work/root" -name genmodels.pc -path '*pkgconfig*' | head -1)
export PKG_CONFIG_PATH=$(dirname "$prefix")
orig_prefix=$(pkg-config --variable=prefix genmodels)
pc() { pkg-config --define-variable=prefix="$work/root$orig_prefix" "$@" genmodels; }
libdir=$(pc --variable=libdir)
test -f "$libdir/libgenmodels.a" && test -f "$libdir/libgenmodels.so"
test -x "$work/root$orig_prefix/bin/genmodels"
test -f "$(pc --variable=includedir)/genmodels/genmodels.h"

cc -std=c11 -Wall -Werror "$src/examples/c/quickstart.c" $(pc --cflags) $(pc --libs) -lm \
   -Wl,-rpath,"$libdir" -o "$work/quickstart_shared"
# Static: the archive itself, then exactly the flags Libs.private gives.
static_flags=$(pc --static --libs | sed 's/-lgenmodels/-l:libgenmodels.a/')
cc -std=c11 -Wall -Werror "$src/examples/c/quickstart.c" $(pc --cflags) $static_flags -o "$work/quickstart_static"
if ldd "$work/quickstart_static" | grep -q libgenmodels; then
  echo "static link still depends on libgenmodels.so"; exit 1
fi
"$work/quickstart_shared" | grep -q "30 patterns, NLL 7.44"
"$work/quickstart_static" | grep -q "30 patterns, NLL 7.44"
"$work/quickstart_static"
echo "install: header, libraries, pkg-config (shared and --static) and the genmodels program are in place"

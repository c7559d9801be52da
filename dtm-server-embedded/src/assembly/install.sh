#!/bin/sh
# Installs dtm from this unpacked release: ./install.sh [--prefix DIR] [--bin-dir DIR]
#   --prefix DIR   installation directory (default /opt/dtm)
#   --bin-dir DIR  where to link the dtm command (default /usr/local/bin when run as root with the default
#                  prefix; otherwise no link unless given)
# Running it again replaces the installed files (idempotent).
set -eu
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
SRC="$HERE/dtm"
PREFIX=/opt/dtm
BIN_DIR=
PREFIX_GIVEN=no
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; PREFIX=$2; PREFIX_GIVEN=yes; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; PREFIX_GIVEN=yes; shift ;;
    --bin-dir) [ $# -ge 2 ] || { echo "install.sh: --bin-dir needs a directory" >&2; exit 2; }; BIN_DIR=$2; shift 2 ;;
    --bin-dir=*) BIN_DIR=${1#*=}; shift ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
  esac
done
if [ ! -f "$SRC/lib/dtm.jar" ] || [ ! -f "$SRC/bin/dtm" ]; then
  echo "install.sh: $SRC is not an unpacked dtm release (lib/dtm.jar or bin/dtm missing)" >&2
  exit 1
fi
if [ -z "$BIN_DIR" ] && [ "$PREFIX_GIVEN" = no ] && [ "$(id -u)" = 0 ]; then
  BIN_DIR=/usr/local/bin
fi
mkdir -p "$PREFIX/bin" "$PREFIX/lib"
cp -f "$SRC/bin/dtm" "$PREFIX/bin/dtm"
chmod 755 "$PREFIX/bin/dtm"
cp -f "$SRC/lib/"* "$PREFIX/lib/"
cp -f "$SRC/config.example.yml" "$SRC/dtm.service" "$PREFIX/"
PREFIX=$(cd "$PREFIX" && pwd)
echo "dtm installed in $PREFIX"
if [ -n "$BIN_DIR" ]; then
  mkdir -p "$BIN_DIR"
  ln -sfn "$PREFIX/bin/dtm" "$BIN_DIR/dtm"
  echo "linked $BIN_DIR/dtm -> $PREFIX/bin/dtm"
else
  echo "no command link made (use --bin-dir DIR, or run as root with the default prefix); run $PREFIX/bin/dtm"
fi
echo "systemd unit: $PREFIX/dtm.service (see the comments in it); configuration example: $PREFIX/config.example.yml"

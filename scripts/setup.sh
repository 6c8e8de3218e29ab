#!/usr/bin/env bash
# Installs the Debian packages genmodels needs (only those missing) and configures and
# builds it in ./build. Run as root on Debian 12 (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ meson ninja-build cmake pkg-config
  libdnnl-dev xtensor-dev doctest-dev libstb-dev zlib1g-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  python3-numpy dataset-fashion-mnist
  python3-setuptools python3-pip golang-go
)
# Rust: the machine's own cargo if there is one, else Debian's.
command -v cargo >/dev/null 2>&1 || packages+=(cargo)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${GM_BUILD_DIR:-build}
if [[ ! -f "$build/build.ninja" ]]; then
  meson setup "$build" --buildtype=release >/dev/null
fi
ninja -C "$build" >/dev/null
echo "setup: built $build"

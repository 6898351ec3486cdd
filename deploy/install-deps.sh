#!/usr/bin/env bash
# Installs the Debian 12 packages flowfleet builds and tests with, only those
# missing. Quiet and quick when everything is already there; safe to re-run.
set -euo pipefail

# Build: compilers, CMake, the libraries DESIGN.md names.
build_pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
  libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libevent-dev liblz4-dev
  libsodium-dev libpcap-dev libjansson-dev libinih-dev libxxhash-dev zlib1g-dev
  libcmocka-dev libcurl4-openssl-dev libssl-dev)
# Peers the tests and the demo compare with or drive.
peer_pkgs=(nfdump softflowd tcpreplay tshark tcpdump python3 pmacct jq prometheus)

missing=()
for p in "${build_pkgs[@]}" "${peer_pkgs[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Install the Debian packages the workbench needs. apt is only touched when something is missing.
set -euo pipefail

PKGS=(linux-source-6.12 qemu-system-x86 busybox-static
      gcc libc6-dev make bc flex bison libelf-dev libssl-dev
      cpio xz-utils git sparse rsync
      ccache linux-config-6.12 gcc-aarch64-linux-gnu
      python3-sphinx python3-sphinx-rtd-theme
      python3-ply python3-git)	# checkpatch checks SPDX identifiers with them (scripts/spdxcheck.py)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
for p in "${missing[@]}"; do	# name the culprit rather than let apt fail on the whole list
	apt-cache show "$p" >/dev/null 2>&1 || { echo "setup: package '$p' is not available from apt" >&2; exit 1; }
done
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null ||
	{ echo "setup: 'apt-get install ${missing[*]}' failed" >&2; exit 1; }

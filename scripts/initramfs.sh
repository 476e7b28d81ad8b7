#!/usr/bin/env bash
# Pack the guest initramfs (uncompressed cpio newc): static busybox, guest/init as /init,
# the qemu-exit helper, PLAN as /plan ("-": none, /init starts an interactive shell)
# and the FILEs in /root, where the plan runs.
# usage: initramfs.sh OUT.cpio PLAN|- FILE...
set -euo pipefail
out=$1 plan=$2; shift 2
top=$(dirname "$0")/..
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,dev,proc,sys,tmp,root}
cp /bin/busybox "$stage/bin/busybox"		# from busybox-static: no libraries needed
ln -s busybox "$stage/bin/sh"
install -m 755 "$top/guest/init" "$stage/init"
install -m 755 "$top/build/guest/qemu-exit" "$stage/bin/qemu-exit"
[ "$plan" = - ] || cp "$plan" "$stage/plan"
[ $# -eq 0 ] || cp "$@" "$stage/root/"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
cpio -t --quiet <"$out" | grep -qx init || { echo "initramfs: $out has no /init" >&2; exit 1; }

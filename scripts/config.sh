#!/usr/bin/env bash
# Configure a kernel build folder: x86_64 tinyconfig + config/uffd.config, then check that every
# line of the fragment survived olddefconfig (Kconfig silently drops options whose deps are unmet).
# An EXTRA fragment is merged after it and wins where both set an option. With ARCH=i386 in the
# environment: i386 tinyconfig + config/i386.config instead.
# usage: [ARCH=i386] config.sh SRC_TREE OUT_DIR [EXTRA_FRAGMENT]
set -euo pipefail
src=$1 out=$2 extra=${3:-}
arch=${ARCH:-x86_64}
base=uffd
[ "$arch" = x86_64 ] || base=$arch
frag=$out/fragment.config
kmake() { make -s -C "$src" O="$out" ARCH="$arch" "$@"; }

mkdir -p "$out"
cat "$(dirname "$(realpath "$0")")/../config/$base.config" $extra >"$frag"
kmake tinyconfig >/dev/null
# An EXTRA fragment overriding a line of ours is the point: kconfig's warning about it is not.
{
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >/dev/null
	kmake olddefconfig >/dev/null
} 2>&1 | { grep -v 'override: reassigning to symbol' || true; } >&2

# The last line for each option is what was asked for.
declare -A want
while read -r line; do
	case $line in
	CONFIG_*=*)                opt=${line%%=*} ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
	*) continue ;;
	esac
	want[$opt]=$line
done <"$frag"

bad=0
for opt in "${!want[@]}"; do
	got=$(grep -E "^($opt=|# $opt is not set)" "$out/.config" || echo "# $opt is not set")
	if [ "$got" != "${want[$opt]}" ]; then
		echo "config: $opt: wanted '${want[$opt]}', got '$got'" >&2
		bad=1
	fi
done
[ $bad -eq 0 ] || { echo "config: config/$base.config${extra:+ + $extra} did not fully apply (see above)" >&2; exit 1; }
echo "config: $out/.config has all of config/$base.config${extra:+ and $extra}"

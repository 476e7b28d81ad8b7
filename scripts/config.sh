#!/usr/bin/env bash
# Configure a kernel build folder: x86_64 tinyconfig + config/uffd.config, then check that every
# line of the fragment survived olddefconfig (Kconfig silently drops options whose deps are unmet).
# An EXTRA fragment is merged after it and wins where both set an option. With ARCH=i386 in the
# environment: i386 tinyconfig + config/i386.config instead (arm64 likewise); with BASE=NAME,
# x86_64 tinyconfig + config/NAME.config.
# usage: [ARCH=i386|arm64] [BASE=build-only] config.sh SRC_TREE OUT_DIR [EXTRA_FRAGMENT]
set -euo pipefail
src=$1 out=$2 extra=${3:-}
arch=${ARCH:-x86_64}
base=${BASE:-uffd}
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

# The section of config/uffd.config taken from Debian must still say what Debian's amd64 config
# says (linux-config-6.12), except y for Debian's m: a new 6.12.y that changes one is news.
debian=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
if [ "$base" = uffd ]; then
	[ -r $debian ] || { echo "config: $debian missing (make setup installs linux-config-6.12)" >&2; exit 1; }
	xzcat $debian >"$out/debian.config"
	while read -r line; do
		case $line in
		CONFIG_*=*)                opt=${line%%=*} ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
		*) continue ;;
		esac
		deb=$(grep -E "^($opt=|# $opt is not set)" "$out/debian.config" || echo "# $opt is not set")
		[ "$deb" = "$line" ] || [ "$deb" = "$opt=m" -a "$line" = "$opt=y" ] || {
			echo "config: $opt: config/uffd.config has '$line' as Debian's, which has '$deb'" >&2
			bad=1
		}
	done < <(awk '/^## From Debian/ { sec = hdr = 1; next }
		sec && /^## / { if (hdr) next; exit }
		sec { hdr = 0; print }' "$(dirname "$(realpath "$0")")/../config/uffd.config")
	[ $bad -eq 0 ] || exit 1
fi
echo "config: $out/.config has all of config/$base.config${extra:+ and $extra}"

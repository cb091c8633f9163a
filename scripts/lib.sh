# SPDX-License-Identifier: GPL-2.0
# Common definitions for the nsaudit scripts; sourced, not run.

NSAUDIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NSAUDIT_CACHE=${NSAUDIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nsaudit}
# The kernel the series applies to: Debian's linux-source-7.3 from trixie-backports.
KERNEL_PKG=linux-source-7.3
KERNEL_PKG_VERSION=${KERNEL_PKG_VERSION:-7.3.4-1~bpo13+1}
KERNEL_SUITE=trixie-backports
KERNEL_SRC=${NSAUDIT_KERNEL_SRC:-$NSAUDIT_CACHE/src/$KERNEL_PKG_VERSION/linux-source-7.3}
LLVM_SUFFIX=-19
export LIBCLANG_PATH=${LIBCLANG_PATH:-/usr/lib/llvm-19/lib}
export PATH=$HOME/.cargo/bin:$PATH

# die PHASE MESSAGE: report a failure that names its phase, and exit 1.
die() {
	local phase=$1
	shift
	echo "nsaudit: $phase: error: $*" >&2
	exit 1
}

# usage_error USAGE MESSAGE: bad arguments; exit 2.
usage_error() {
	echo "$2" >&2
	echo "$1" >&2
	exit 2
}

note() {
	echo "nsaudit: $*" >&2
}

# The patches of the series, in order, without the cover letter.
series_patches() {
	local p
	for p in "$NSAUDIT_ROOT"/patches/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$p" ] || continue
		case "$(basename "$p")" in
		0000-*) ;;
		*) echo "$p" ;;
		esac
	done
}

# series_key SCRIPT [FILE...]: the cache key of what SCRIPT builds from the patch series:
# kernel version, the series, the FILEs (config fragments, ...) and SCRIPT itself.
series_key() {
	local script=$1 p f
	shift
	{
		echo "$KERNEL_PKG_VERSION LLVM=$LLVM_SUFFIX"
		series_patches | while read -r p; do sha256sum <"$p"; done
		for f in "$@"; do sha256sum <"$f"; done
		sha256sum <"$script"
	} | sha256sum | cut -c1-16
}

# kernel_key [FRAGMENT...]: the cache key of a kernel build by scripts/kernel.
kernel_key() {
	series_key "$NSAUDIT_ROOT/scripts/kernel" "$@"
}

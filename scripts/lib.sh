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

# series_patches [DIR]: the patches of the series in DIR (default $NSAUDIT_PATCHES, or
# patches/), in order, without the cover letter.
series_patches() {
	local p dir=${1:-${NSAUDIT_PATCHES:-$NSAUDIT_ROOT/patches}}
	for p in "$dir"/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$p" ] || continue
		case "$(basename "$p")" in
		0000-*) ;;
		*) echo "$p" ;;
		esac
	done
}

# The ok/not-ok counter of the test scripts: each check prints "PREFIXok - NAME" or
# "PREFIXnot ok - NAME: DETAIL", and tap_summary prints the totals.
passed=0 failed=0
TAP_PREFIX=

# tap_ok NAME: count a check that passed.
tap_ok() {
	passed=$((passed + 1))
	echo "${TAP_PREFIX}ok - $1"
}

# tap_not_ok NAME [DETAIL]: count a check that failed.
tap_not_ok() {
	failed=$((failed + 1))
	echo "${TAP_PREFIX}not ok - $1${2:+: $2}"
}

# tap_result NAME STATUS [DETAIL]: count a check by its exit status.
tap_result() {
	if [ "$2" -eq 0 ]; then
		tap_ok "$1"
	else
		tap_not_ok "$1" "${3-}"
	fi
}

# tap_summary WHO: print "WHO: N passed, M failed"; fail if any check failed.
tap_summary() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
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

# The audit userspace that patches/audit-userspace/ applies to: Debian's audit source package
# from sid, with Debian's patches applied.
AUDIT_PKG=audit
AUDIT_PKG_VERSION=${AUDIT_PKG_VERSION:-1:4.2.1-1}
AUDIT_SUITE=sid
AUDIT_SRC=${NSAUDIT_AUDIT_SRC:-$NSAUDIT_CACHE/src/audit-${AUDIT_PKG_VERSION#*:}}
AUDIT_PATCHES=${NSAUDIT_AUDIT_PATCHES:-$NSAUDIT_ROOT/patches/audit-userspace}

# audit_key: the cache key of the audit userspace build by scripts/audit-userspace: the
# version, its patch series (not the cover letter) and the script.
audit_key() {
	local p
	{
		echo "$AUDIT_PKG $AUDIT_PKG_VERSION"
		for p in $(series_patches "$AUDIT_PATCHES"); do
			sha256sum <"$p"
		done
		sha256sum <"$NSAUDIT_ROOT/scripts/audit-userspace"
	} | sha256sum | cut -c1-16
}

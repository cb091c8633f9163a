# SPDX-License-Identifier: GPL-2.0
#
# nsaudit: audit records for Linux namespaces.
#
#   make run      set up, build, boot the patched kernel, load ns_audit.ko, show the records
#   make test     make check, then every test: host tests, KUnit and the validator in the guest
#   make check    checkpatch, the series in other configs, rustfmt, clippy, rustdoc, the docs build
#   make stress   the debug kernel (KASAN, lockdep, kmemleak) under namespace churn
#   make bench    what auditing namespaces costs (BENCH_ARGS=--quick for a short run)
#
# The module itself builds like any out-of-tree module:
#   make -C $(KDIR) M=$(PWD) LLVM=-19          (Kbuild describes it)
#   make module KDIR=/path/to/your/patched/build

KDIR ?=
BENCH_ARGS ?=
SCRIPTS := $(CURDIR)/scripts

.PHONY: all setup kernel module tools run check test test-host test-guest stress bench clean help

all: module

help:
	@sed -n '3,14p' Makefile | sed 's/^# \{0,1\}//'

setup:
	$(SCRIPTS)/setup

kernel: setup
	$(SCRIPTS)/kernel

module:
	$(SCRIPTS)/module $(if $(KDIR),--kdir $(KDIR))

tools:
	$(SCRIPTS)/tools

run: setup
	$(SCRIPTS)/vm-run --no-module --timeout 600 -- nsaudit demo --module /lib/modules/ns_audit.ko

check: setup
	$(SCRIPTS)/check

test: setup check
	$(SCRIPTS)/test

stress: setup
	$(SCRIPTS)/stress --rounds 10

test-host: setup
	$(SCRIPTS)/test --host-only

test-guest: setup
	$(SCRIPTS)/test --guest-only

bench: setup
	$(SCRIPTS)/bench $(BENCH_ARGS)

clean:
	rm -rf .tmp_versions tools/target bench-out
	rm -f *.o *.ko *.mod *.mod.c *.mod.o .*.cmd Module.symvers modules.order
	rm -f rust/*.o rust/.*.cmd rust/*.d rust/.*.d

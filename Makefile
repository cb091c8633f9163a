# SPDX-License-Identifier: GPL-2.0
#
# nsaudit: audit records for Linux namespaces.
#
#   make run      set up, build, boot the patched kernel with auditd, load ns_audit.ko, show
#                 the records with ausearch
#   make test     make check, then every test: host tests, KUnit and the validator in the guest
#   make check    checkpatch, the series in other configs, rustfmt, clippy, rustdoc, the docs build
#   make stress   the debug kernel (KASAN, lockdep, kmemleak) under namespace churn
#   make bench    what auditing namespaces costs (BENCH_ARGS=--quick for a short run)
#   make deb      the Debian package of the auditor's nsaudit (tools/target/debian/)
#
# The module itself builds like any out-of-tree module:
#   make -C $(KDIR) M=$(PWD) LLVM=-19          (Kbuild describes it)
#   make module KDIR=/path/to/your/patched/build

KDIR ?=
BENCH_ARGS ?=
SCRIPTS := $(CURDIR)/scripts

.PHONY: all setup kernel module tools deb run check test test-host test-guest stress bench clean help

all: module

help:
	@sed -n '3,15p' Makefile | sed 's/^# \{0,1\}//'

setup:
	$(SCRIPTS)/setup

kernel: setup
	$(SCRIPTS)/kernel

module:
	$(SCRIPTS)/module $(if $(KDIR),--kdir $(KDIR))

tools:
	$(SCRIPTS)/tools

deb: setup
	$(SCRIPTS)/deb

# In the guest: the real auditd writes /var/log/audit/audit.log, the demo loads the module,
# creates and drops a namespace of each type and waits for their records in the log, and
# ausearch shows them by name.
NS_TYPES := NS_INIT_MNT,NS_INIT_UTS,NS_INIT_IPC,NS_INIT_USER,NS_INIT_PID,NS_INIT_NET,$\
	NS_INIT_CGROUP,NS_INIT_TIME,NS_DEL_MNT,NS_DEL_UTS,NS_DEL_IPC,NS_DEL_USER,NS_DEL_PID,$\
	NS_DEL_NET,NS_DEL_CGROUP,NS_DEL_TIME
RUN_GUEST := nsaudit-auditd start && \
	nsaudit-guest demo --auditd /var/log/audit/audit.log --module /lib/modules/ns_audit.ko && \
	echo "\# ausearch -m $(NS_TYPES) -i" && ausearch -m $(NS_TYPES) -i && \
	nsaudit-auditd stop

run: setup
	$(SCRIPTS)/vm-run --no-module --auditd --timeout 600 -- sh -c '$(RUN_GUEST)'

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

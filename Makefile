# Workbench for the vm_uffd_ops userfaultfd series on Linux 6.12 as Debian ships it.
#   make check   stock and patched kernels, uffd selftests on both, compared; a debug and a
#                no-PTE-marker build of the patched tree; sparse; the series (what CI runs).
#                Guests boot two at a time: each is single-threaded TCG, one host core each.
#   make run     the demo on the patched kernel
#   make bench   fault round trips and UFFDIO_COPY throughput, stock vs patched
# Developer loop targets are listed by `make help` and explained in README.md.
# Everything generated goes under build/.

SHELL := /bin/bash
.DEFAULT_GOAL := help
# Kernel builds are parallel inside; one step at a time keeps the output readable.
.NOTPARALLEL:
# Our command-line variables (M=, FILES=, CMD=) must not leak into kbuild's sub-makes.
MAKEOVERRIDES :=
.SECONDEXPANSION:
# Files made by pattern rules are kept (make would delete them as "intermediate").
.PRECIOUS: $(CURDIR)/build/selftests-%/.patched $(CURDIR)/build/out-%/.config-stamp $(CURDIR)/build/out-%/usr/include/linux/userfaultfd.h \
           $(CURDIR)/build/out-%/uffd-unit-tests $(CURDIR)/build/out-%/uffd-stress

B            := $(CURDIR)/build
# Every compiler call goes through ccache (make setup installs it), in ~/.cache/ccache: what
# any build of any clone on this machine compiled before from the same sources is reused.
# Paths under the checkout are hashed relative to it, so two clones share their hits.
# Depend mode hashes the headers the compiler lists (kbuild asks for the list anyway) instead of
# running the preprocessor first, and the inode cache hashes each header once. Building mm/,
# fs/, kernel/ and ipc/ from scratch into an empty cache took 220 s in the default mode, 173 s in
# depend mode, 138 s with the inode cache too, and 151-156 s without ccache (2026-12-03, 2 cores).
export PATH           := /usr/lib/ccache:$(PATH)
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1
export CCACHE_DEPEND  := 1
export CCACHE_INODECACHE := 1
export CCACHE_MAXSIZE ?= 10G
JOBS         := $(shell echo $$(( $$(nproc) + 1 )))
TREE_stock   := $(B)/linux-stock
TREE_patched := $(B)/linux
# Two more builds of the patched tree for `make check`: KASAN, lockdep and the mm debug
# checks (debug), and without PTE markers for uffd-wp (nomarker)
TREE_debug      := $(B)/linux
# What the series adds (KUnit tests, sample, test driver) is built in the patched builds only
EXTRA_patched   := config/series.config
EXTRA_debug     := config/series.config config/debug.config
# `make bench` compares stock and patched built without the debugging (config/bench.config)
TREE_bench-stock    := $(TREE_stock)
TREE_bench-patched  := $(TREE_patched)
EXTRA_bench-stock   := config/bench.config
EXTRA_bench-patched := config/bench.config
REPS ?= 5
# $(call kmake,KERNEL): kbuild for build/out-KERNEL; KMAKE in the kernel-% rules
kmake         = $(MAKE) -C $(TREE_$1) O=$(B)/out-$1 ARCH=x86_64 -j$(JOBS)
KMAKE         = $(call kmake,$*)
BZIMAGE       = $(B)/out-$1/arch/x86/boot/bzImage

# What the guest of each kernel runs for `make check` ("name command..." lines, see
# guest/check.plan) and which files its initramfs carries in /root. Module tests go here.
CHECK_PLAN_stock    := guest/check.plan guest/check-bench.plan
CHECK_PLAN_patched  := guest/insmod.plan guest/check.plan guest/check-module.plan guest/check-kunit.plan
CHECK_PLAN_debug    := guest/insmod.plan guest/check.plan guest/check-kunit.plan
CHECK_PLAN_nomarker := guest/check-nomarker.plan guest/check-kunit.plan
GUEST_FILES_stock    = $(B)/out-stock/uffd-unit-tests $(B)/out-stock/uffd-stress $(B)/guest/uffd_bench $(GUEST_TESTS)
GUEST_FILES_patched  = $(B)/out-patched/uffd-unit-tests $(B)/out-patched/uffd-stress $(B)/guest/uffd_bench \
                       $(GUEST_TESTS) $(MODULE_FILES) tests/kunit/kunit-tap
GUEST_FILES_debug    = $(B)/out-debug/uffd-unit-tests $(B)/out-debug/uffd-stress $(B)/guest/uffd_bench \
                       $(GUEST_TESTS) $(MODULE_PROGS) tests/kunit/kunit-tap \
                       $(call MODULES_FOR,debug)
GUEST_FILES_nomarker = $(B)/out-patched/uffd-unit-tests $(MODULE_PROGS) $(call MODULES_FOR,nomarker) \
                       tests/kunit/kunit-tap

# The series' sample provider (samples/userfaultfd) and test driver (lib/test_uffd_ops.c), built
# in each patched kernel's tree (config/series.config); the module tests, the demo and the
# fuzzer, built against the patched kernel's headers. The programs run on every patched build;
# $(call MODULES_IN,DIR) are the two modules of build/DIR (out-patched, out-debug, or
# mod-nomarker, where the nomarker build leaves a copy of them).
MODULE_PROGS = $(addprefix $(B)/out-patched/,uffd-sample-tests uffd-ops-tests uffd-unload-tests) \
	demo/lazy_restore $(B)/guest/uffd_fuzz
MODULES_IN   = $(B)/$1/samples/userfaultfd/uffd_sample.ko $(B)/$1/lib/test_uffd_ops.ko
MODULE_FILES = $(call MODULES_IN,out-patched) $(MODULE_PROGS)
MODULES_FOR  = $(call MODULES_IN,$(if $(filter nomarker,$1),mod-nomarker,out-$1))
# Their user APIs, for the programs that use their memory
SAMPLE_H     := $(TREE_patched)/samples/userfaultfd/uffd_sample.h
TEST_UAPI_H  := $(TREE_patched)/lib/test_uffd_ops_uapi.h
SERIES_INC   := -I $(TREE_patched)/samples/userfaultfd -I $(TREE_patched)/lib
# The tests of the two stock 6.12 fixes at the head of the series (tests/fixes) run on every
# kernel: on stock they measure the bugs, on the series they must pass.
FIX_TESTS    = $(B)/guest/uffd_unregister_race $(B)/guest/hugetlb_wp_stale \
	$(B)/guest/uffd_copy_dst_replaced
# What stock 6.12 offers and the series must keep (tests/compat), on every kernel alike; the
# registration matrix is compared stock against patched by scripts/matrix.sh
COMPAT_TESTS = $(addprefix $(B)/guest/,sysv_shm uffd_reg_matrix memcg_charge numa_policy swap_wp)
GUEST_TESTS  = $(FIX_TESTS) $(COMPAT_TESTS)

# Checks of `make check`: each writes build/results/<name>.txt with PASS/FAIL/SKIP lines,
# scripts/summary.sh totals them. Add a check by appending a target here.
CHECKS := check-uffd check-bench check-sparse check-debug check-nomarker check-series

.PHONY: help setup tree export kernel check run bench bench-ioctls bench-profile quick shell vm-exec module module-files clean \
	modules-bench-patched results-clean soak soak-round $(CHECKS)

help:
	@echo "make check    stock, patched, debug and no-PTE-marker kernels: all tests (what CI runs)"
	@echo "make run      build and boot the patched kernel, run the demo"
	@echo "make soak     make check's boots again on its kernels [ROUNDS=5 QUIET=1: one guest at a time]"
	@echo "make bench    userfault round trips and UFFDIO_COPY throughput, stock vs patched [REPS=5 CLOCKS=icount]"
	@echo "make bench-ioctls   guest instructions per userfaultfd ioctl, stock vs patched"
	@echo "make bench-profile  guest instructions per kernel function in one bench loop [PROFILE=\"--types shmem --modes missing-zero\"]"
	@echo "make setup    install missing Debian packages"
	@echo "make tree     prepare build/linux (series) and build/linux-stock from linux-source-6.12"
	@echo "make export   write the commits baseline..series of build/linux to patches/"
	@echo "make kernel   build the patched kernel (build/out-patched)"
	@echo "make quick    rebuild the patched kernel, run uffd-unit-tests on it"
	@echo "make shell    boot the patched kernel to a shell on this terminal"
	@echo "make vm-exec FILES=\"a.ko t\" CMD=\"insmod a.ko && ./t\"   run CMD in the patched guest"
	@echo "make module M=path   build an out-of-tree module against build/out-patched"
	@echo "make clean    remove build outputs (keeps the trees in build/linux*)"

setup:
	@scripts/setup.sh

tree: setup
	@scripts/tree.sh

export:
	@scripts/export.sh

# ---- kernels: build/out-stock from build/linux-stock, build/out-patched from build/linux

# Reconfigure only when the fragment changes; kbuild itself follows Kconfig edits.
$(B)/out-%/.config-stamp: config/uffd.config $$(EXTRA_$$*) scripts/config.sh | tree
	scripts/config.sh $(TREE_$*) $(B)/out-$* "$(EXTRA_$*)"
	touch $@

# kbuild decides what is stale; the headers are for the selftests. The log is for check-series.
kernel-%: $(B)/out-%/.config-stamp | tree
	@echo "== $$(date +%T) $* kernel: build/out-$*"
	+$(KMAKE) 2>&1 | tee $(B)/out-$*/build.log; exit $${PIPESTATUS[0]}
	+$(KMAKE) -s headers_install

kernel: kernel-patched

# ---- guest programs: each tree's own uffd selftests, static, against its own headers.
# They are built from a copy in build/selftests-KERNEL with one workbench change, the same for
# every kernel (tests/selftests/README): stock 6.12 can report a fault on a range after
# UFFDIO_UNREGISTER, which the first patch of the series fixes.
SELFTESTS_TREE  = $(TREE_$*)/tools/testing/selftests
SELFTESTS       = $(B)/selftests-$*/tools/testing/selftests/mm
SELFTESTS_PATCH = tests/selftests/uffd-remove-enoent.patch
UFFD_SRC   = $(addprefix $(SELFTESTS_TREE)/mm/,uffd-unit-tests.c uffd-stress.c uffd-common.c uffd-common.h \
             vm_util.c vm_util.h thp_settings.c thp_settings.h) $(TREE_$*)/mm/gup_test.h \
             $(wildcard $(PROVIDER_SRC))
# What the series adds to the selftests (tools/testing/selftests/mm: the tests of provider
# memory, which include the user APIs of its sample and test driver), in the patched trees
PROVIDER_TESTS = uffd-sample-tests uffd-ops-tests uffd-unload-tests
PROVIDER_SRC   = $(addprefix $(SELFTESTS_TREE)/mm/,$(addsuffix .c,$(PROVIDER_TESTS)) uffd-provider.h) \
                 $(TREE_$*)/samples/userfaultfd/uffd_sample.h $(TREE_$*)/lib/test_uffd_ops_uapi.h
# CFLAGS and LDLIBS of tools/testing/selftests/mm/Makefile, plus -static-pie: the guest has no
# libc. Not plain -static: a non-PIE binary's heap is put anywhere in the GiB above it, and 1 in
# 200 runs it covers the fixed address (BASE_PMD_ADDR) where the selftests map shmem.
UFFD_CFLAGS = -static-pie -Wall -O2 -U_FORTIFY_SOURCE -isystem $(B)/out-$*/usr/include \
              -isystem $(TREE_$*)/tools/include/uapi

$(B)/selftests-%/.patched: $$(UFFD_SRC) $$(SELFTESTS_TREE)/kselftest.h $$(SELFTESTS_TREE)/kselftest_harness.h $(SELFTESTS_PATCH) Makefile | tree
	rm -rf $(@D) && mkdir -p $(@D)/tools/testing/selftests $(@D)/mm
	cp -r $(SELFTESTS_TREE)/mm $(SELFTESTS_TREE)/kselftest.h $(SELFTESTS_TREE)/kselftest_harness.h $(@D)/tools/testing/selftests/
	cp $(TREE_$*)/mm/gup_test.h $(@D)/mm/
	for h in samples/userfaultfd/uffd_sample.h lib/test_uffd_ops_uapi.h; do \
		[ ! -f $(TREE_$*)/$$h ] || install -D -m 644 $(TREE_$*)/$$h $(@D)/$$h || exit; \
	done
	patch -s -p1 -d $(@D) <$(SELFTESTS_PATCH)
	touch $@

$(B)/out-%/uffd-unit-tests $(B)/out-%/uffd-stress: $(B)/selftests-%/.patched \
		$(B)/out-%/usr/include/linux/userfaultfd.h Makefile
	for t in uffd-unit-tests uffd-stress; do \
		gcc $(UFFD_CFLAGS) -o $(B)/out-$*/$$t $(SELFTESTS)/$$t.c \
			$(addprefix $(SELFTESTS)/,uffd-common.c vm_util.c thp_settings.c) -lrt -lpthread -lm || exit; \
	done

# The series' tests of provider memory: built once, against the patched kernel's headers, and
# run on each build of the patched tree
$(addprefix $(B)/out-patched/,$(PROVIDER_TESTS)): $(B)/out-patched/%: $(B)/selftests-patched/.patched \
		$(B)/out-patched/usr/include/linux/userfaultfd.h Makefile
	gcc -static -Wall -O2 -isystem $(B)/out-patched/usr/include -o $@ \
		$(B)/selftests-patched/tools/testing/selftests/mm/$*.c -lpthread

# headers_install (in kernel-%) writes it; the selftests relink only when it changed.
$(B)/out-%/usr/include/linux/userfaultfd.h: | kernel-% ;

$(B)/guest/qemu-exit: guest/qemu-exit.c
	mkdir -p $(@D)
	gcc -static -O2 -Wall -o $@ $<

# The kernel comes first: it installs the headers the selftests are built against.
guest-%: kernel-% $(B)/out-%/uffd-unit-tests $(B)/out-%/uffd-stress $(B)/guest/qemu-exit ;
guest-stock guest-patched guest-debug: $(GUEST_TESTS)
guest-stock guest-patched: $(B)/guest/uffd_bench
guest-patched: module-files
guest-debug: module-files $(B)/guest/uffd_bench
# The nomarker kernel is the patched one in another configuration: same headers, same selftests.
guest-nomarker: kernel-nomarker guest-patched ;

# kbuild and the sub-makes decide what is stale, as for the kernel.
PHDR = $(B)/out-patched/usr/include
module-files: kernel-patched $(addprefix $(B)/out-patched/,$(PROVIDER_TESTS))
	+$(MAKE) -C demo HDR=$(PHDR) KSRC=$(TREE_patched)
	+$(MAKE) $(B)/guest/uffd_fuzz

# The benchmark runs on both kernels: built against the UAPI headers of the stock tree, which
# the series does not change (headers_install needs no configuration).
$(B)/uapi/usr/include/linux/userfaultfd.h: | tree
	+$(MAKE) -s -C $(TREE_stock) O=$(B)/uapi ARCH=x86_64 headers_install

# With the selftests' vm_util.c (default_huge_page_size()).
build_guest_test = mkdir -p $(@D) && gcc -static -O2 -Wall -Wextra -isystem $(B)/uapi/usr/include \
	-I $(TREE_stock)/tools/testing/selftests -o $@ $< \
	$(TREE_stock)/tools/testing/selftests/mm/vm_util.c -lpthread
$(FIX_TESTS): $(B)/guest/%: tests/fixes/%.c tests/fixes/task_stat.h $(B)/uapi/usr/include/linux/userfaultfd.h
	$(build_guest_test)
$(COMPAT_TESTS): $(B)/guest/%: tests/compat/%.c tests/compat/compat_mem.h $(SAMPLE_H) $(TEST_UAPI_H) \
		$(B)/uapi/usr/include/linux/userfaultfd.h
	$(build_guest_test) $(SERIES_INC)

$(B)/guest/uffd_bench: tests/bench/uffd_bench.c $(SAMPLE_H) $(B)/uapi/usr/include/linux/userfaultfd.h
	mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -isystem $(B)/uapi/usr/include $(SERIES_INC) -o $@ $< -lpthread

# make tree writes them
$(SAMPLE_H) $(TEST_UAPI_H): | tree ;

# The sample built out of tree, as any module is, from a copy of its folder: against the bench
# kernel, whose configuration (as stock's) has no samples. build/mod-bench-patched/uffd_sample.ko
modules-bench-patched: kernel-bench-patched
	rm -rf $(B)/mod-bench-patched && mkdir -p $(B)/mod-bench-patched
	cp -p $(TREE_patched)/samples/userfaultfd/Makefile $(TREE_patched)/samples/userfaultfd/uffd_sample.[ch] \
		$(B)/mod-bench-patched/
	+$(MAKE) -C $(B)/out-bench-patched M=$(B)/mod-bench-patched CONFIG_SAMPLE_USERFAULTFD=m modules

# No PTE markers: only the 70-odd files that test CONFIG_PTE_MARKER_UFFD_WP differ from the
# patched kernel, so build/out-patched is switched to that configuration, where kbuild rebuilds
# just those; the bzImage and the modules are kept (build/out-nomarker, build/mod-nomarker) and
# the folder is switched back (the same files again). Two short builds instead of a full one.
kernel-nomarker: kernel-patched
	@echo "== $$(date +%T) nomarker kernel: build/out-patched with config/nomarker.config, kept in build/out-nomarker"
	+scripts/config.sh $(TREE_patched) $(B)/out-patched "$(EXTRA_patched) config/nomarker.config" && $(call kmake,patched) && \
	  for m in $(call MODULES_IN,out-patched); do install -D $$m $(B)/mod-nomarker/$${m#$(B)/out-patched/} || exit; done && \
	  install -D $(call BZIMAGE,patched) $(call BZIMAGE,nomarker); \
	  rc=$$?; echo "== $$(date +%T) patched kernel: build/out-patched back to its configuration"; \
	  scripts/config.sh $(TREE_patched) $(B)/out-patched "$(EXTRA_patched)" && $(call kmake,patched) && exit $$rc

$(B)/guest/uffd_fuzz: tests/fuzz/uffd_fuzz.c $(SAMPLE_H) $(TEST_UAPI_H) $(PHDR)/linux/userfaultfd.h
	mkdir -p $(@D)
	gcc -static -O2 -Wall -isystem $(PHDR) -I $(TREE_patched)/tools/testing/selftests $(SERIES_INC) \
		-o $@ $< -lpthread

# Where the check boots and their results go (make soak puts each round elsewhere), and what
# runs between the two boots of a pair: & side by side, ; one after the other
RUNS    := $(B)/runs
RESULTS := $(B)/results
BESIDE  := &

# $(call boot,KERNEL,RUN,PLANS,FILES): pack build/runs/RUN/initramfs.cpio and boot it
boot = mkdir -p $(RUNS)/$2 && cat $3 >$(RUNS)/$2/plan && \
       scripts/initramfs.sh $(RUNS)/$2/initramfs.cpio $(RUNS)/$2/plan $(GUEST_FILES_$1) $4 && \
       scripts/boot.sh $(call BZIMAGE,$1) $(RUNS)/$2/initramfs.cpio $(RUNS)/$2
# $(call boot_quiet,KERNEL,RUN,PLANS,TIMEOUT[,APPEND]): the same for a guest that runs beside
# another one, its output kept in build/runs/RUN.out. A crash or hang does not stop make:
# boot.sh records it in the run's verdict, which compare.sh turns into FAIL lines.
boot_quiet = { TIMEOUT=$4 APPEND='$5' && export TIMEOUT APPEND && $(call boot,$1,$2,$3); } \
	>$(RUNS)/$2.out 2>&1 || true

# ---- make check

check: setup tree results-clean $(CHECKS)
	@echo "ccache during this check: $$(ccache --print-stats | awk '$$1 ~ /^(direct|preprocessed)_cache_hit$$/ { h += $$2 } \
	  $$1 == "cache_miss" { m = $$2 } END { printf "%d hits, %d misses", h, m }')"
	@scripts/counts.sh $(B) $(addprefix $(RUNS)/check-,stock patched debug debug-module nomarker)
	@scripts/summary.sh $(RESULTS)

# The results of this check start empty, and so do ccache's counters (printed at its end).
results-clean:
	@rm -rf $(RESULTS) && mkdir -p $(RESULTS)
	@ccache --zero-stats >/dev/null

# The check boots go two at a time, on guests that are single-threaded TCG: each has a host
# core (a kernel build beside a guest made it 1.4x slower; another guest costs it little).
# Their time limits are for a slow host, which ran the patched plan in 5 min and the debug
# plan in 17.5 min, one guest at a time.
define boots_uffd
	@mkdir -p $(RUNS)
	@echo "== $$(date +%T) boot: check-stock and check-patched side by side"
	$(call boot_quiet,stock,check-stock,$(CHECK_PLAN_stock),900) $(BESIDE) \
	  $(call boot_quiet,patched,check-patched,$(CHECK_PLAN_patched),900); wait
	@cat $(RUNS)/check-stock.out $(RUNS)/check-patched.out
	@scripts/compare.sh $(RESULTS) $(RUNS)/check-patched $(RUNS)/check-stock
	@scripts/matrix.sh $(RESULTS)/matrix.txt $(RUNS)/check-patched/results.log $(RUNS)/check-stock/results.log \
	  $(RUNS)/check-patched/results.log
endef
check-uffd: guest-stock guest-patched
	$(boots_uffd)

# One repetition of the benchmark with tiny sizes ran in both check boots (guest/check-bench.plan,
# guest/check-module.plan): the table must still come out of it, so that `make bench` does not rot.
check-bench: check-uffd
	@echo "== $$(date +%T) bench smoke: the table from the uffd-bench-smoke runs of check-stock and check-patched"
	@if scripts/bench-report.sh $(RESULTS)/bench-smoke-table.txt $(RUNS)/check-stock $(RUNS)/check-patched; then \
		cat $(RESULTS)/bench-smoke-table.txt; \
		echo "PASS bench smoke: table of $$(grep -c 'rt/s\|GB/s' $(RESULTS)/bench-smoke-table.txt) measurements" \
		>$(RESULTS)/bench-smoke.txt; \
	else echo "FAIL bench smoke: no table (see above)" >$(RESULTS)/bench-smoke.txt; fi

# Sparse on the files the series touches, stock against patched, and on our modules.
check-sparse: kernel-stock kernel-patched
	@echo "== $$(date +%T) sparse (make C=2) on the files the series touches"
	@scripts/check-sparse.sh $(B) $(RESULTS)/sparse.txt

# All the patched suites again under KASAN, lockdep and DEBUG_VM (config/debug.config), in two
# guests side by side: the selftests (check-debug), then the kernel without PTE markers
# (check-nomarker); beside them the module plan with DEBUG_PAGEALLOC on (check-debug-module),
# which unmaps freed pages at once: what a provider's page lifetimes need, and with full
# preemption (preempt=full; the other boots run Debian's default, voluntary), where lockdep and
# the might_sleep() checks see hooks preempted anywhere. Consoles are scanned.
define boots_debug
	@mkdir -p $(RUNS)
	@echo "== $$(date +%T) boot: check-debug, then check-nomarker, beside check-debug-module"
	{ $(call boot_quiet,debug,check-debug,$(CHECK_PLAN_debug),2400); \
	  $(call boot_quiet,nomarker,check-nomarker,$(CHECK_PLAN_nomarker),900); } $(BESIDE) \
	  $(call boot_quiet,debug,check-debug-module,guest/insmod.plan guest/check-module.plan,2400,debug_pagealloc=on preempt=full); wait
	@cat $(addprefix $(RUNS)/check-,$(addsuffix .out,debug nomarker debug-module))
	@TAG=debug scripts/compare.sh $(RESULTS) $(RUNS)/check-debug
	@TAG=debug scripts/compare.sh $(RESULTS) $(RUNS)/check-debug-module
endef
check-debug: guest-debug guest-nomarker
	$(boots_debug)

check-nomarker: check-debug
	@TAG=nomarker scripts/compare.sh $(RESULTS) $(RUNS)/check-nomarker

# ---- make soak: is make check deterministic? Its guest side again, on the kernels and programs
# that make check built (run that first): ROUNDS times every boot of check-uffd, check-debug and
# check-nomarker, two guests at a time as in make check, or one at a time with QUIET=1. Each
# round's runs and results go to build/soak/N; one summary line per round; fails if any failed.
ROUNDS ?= 5
soak:
	@rm -rf $(B)/soak && mkdir -p $(B)/soak
	@for r in $$(seq $(ROUNDS)); do \
	  $(MAKE) -s soak-round RUNS=$(B)/soak/$$r RESULTS=$(B)/soak/$$r/results $(if $(QUIET),BESIDE=';') \
	    >$(B)/soak/$$r.log 2>&1 && st=passed || st=FAILED; \
	  sum=$$(grep -E '^[0-9]+ passed, [0-9]+ failed' $(B)/soak/$$r.log | tail -n 1); \
	  echo "soak round $$r$(if $(QUIET), (one guest at a time)): $$st: $${sum:-no summary}" | tee -a $(B)/soak/rounds.txt; \
	done
	@! grep -q ': FAILED:' $(B)/soak/rounds.txt

soak-round:
	$(boots_uffd)
	$(boots_debug)
	@TAG=nomarker scripts/compare.sh $(RESULTS) $(RUNS)/check-nomarker
	@scripts/summary.sh $(RESULTS)

# Every commit of the series builds alone and is checkpatch-clean; the tip also builds without
# userfaultfd and without shmem and hugetlbfs.
check-series: tree kernel-patched
	@echo "== $$(date +%T) series: each commit, checkpatch and build"
	@scripts/check-series.sh $(TREE_patched) $(B)/out-patched $(B) $(B)/results/series.txt

# ---- make bench: interleaved boots of the non-debug stock and patched kernels

bench: setup tree kernel-bench-stock kernel-bench-patched modules-bench-patched $(B)/guest/uffd_bench \
       $(B)/guest/qemu-exit
	@mkdir -p $(B)/bench
	@scripts/bench.sh $(B) $(REPS)

# Guest instructions per userfaultfd ioctl on both bench kernels: where a bench ratio comes from.
bench-ioctls: setup tree kernel-bench-stock kernel-bench-patched $(B)/guest/ioctl_cost $(B)/guest/qemu-exit
	@scripts/bench-ioctls.sh $(B)

# Guest instructions per kernel function in the loop of one bench mode, stock against patched:
# what a ratio is made of. PROFILE: uffd_bench options (anon, shmem or hugetlb: no module here);
# for copy-bulk, PROFILE_SCALE="16 --bulk-mib" (the default scales --pages from 1536).
PROFILE ?= --types shmem --modes missing-copy
bench-profile: setup tree kernel-bench-stock kernel-bench-patched $(B)/guest/uffd_bench $(B)/guest/qemu-exit \
	       $(B)/bench/tbprof.so
	@scripts/bench-profile.sh $(B) $(B)/bench/tbprof.so "$(PROFILE)" $(PROFILE_SCALE)

$(B)/bench/tbprof.so: tests/bench/tbprof.c
	mkdir -p $(@D)
	gcc -shared -fPIC -O2 -Wall -o $@ $<

$(B)/guest/ioctl_cost: tests/bench/ioctl_cost.c $(B)/uapi/usr/include/linux/userfaultfd.h
	mkdir -p $(@D)
	gcc -static -O2 -Wall -Wextra -isystem $(B)/uapi/usr/include -o $@ $<

# ---- developer loop

# The demo on the patched kernel, then the same program on stock: the before and after.
run: export STREAM := 1
run: guest-patched guest-stock
	$(call boot,patched,run,guest/run.plan) || true
	$(call boot,stock,run-stock,guest/run-stock.plan,demo/lazy_restore) || true
	@rm -rf $(B)/results-run
	@scripts/compare.sh $(B)/results-run $(B)/runs/run
	@scripts/compare.sh $(B)/results-run $(B)/runs/run-stock
	@scripts/summary.sh $(B)/results-run

# Patched kernel only; compared with the stock run of the last `make check` if that was clean.
quick: guest-patched
	$(call boot,patched,quick,guest/quick.plan) || true
	@rm -rf $(B)/results-quick
	@stock=$(B)/runs/check-stock; grep -qs '^PASS' $$stock/verdict && ! grep -q '^FAIL' $$stock/verdict || stock=; \
	  scripts/compare.sh $(B)/results-quick $(B)/runs/quick $$stock
	@scripts/summary.sh $(B)/results-quick

shell: guest-patched
	scripts/initramfs.sh $(B)/runs/shell/initramfs.cpio - $(GUEST_FILES_patched)
	INTERACTIVE=1 TIMEOUT=$${TIMEOUT:-0} APPEND=$${APPEND:-quiet} scripts/boot.sh $(call BZIMAGE,patched) \
		$(B)/runs/shell/initramfs.cpio $(B)/runs/shell

# CMD travels raw (no make expansion) through the environment, so $ and quotes survive.
vm-exec: export VM_CMD = $(value CMD)
vm-exec: export STREAM := 1
vm-exec: guest-patched
	@[ -n "$$VM_CMD" ] || { echo 'usage: make vm-exec FILES="a.ko t" CMD="insmod a.ko && ./t"' >&2; exit 2; }
	@printf 'vm-exec %s\n' "$$VM_CMD" >$(B)/vm-exec.plan
	@$(call boot,patched,vm-exec,$(B)/vm-exec.plan,$(FILES)) || true
	@rc=$$(sed -n 's/^@@RESULT vm-exec //p' $(B)/runs/vm-exec/results.log); \
	  echo "vm-exec: CMD exited with status $${rc:-none (see above)}"; exit $${rc:-2}

module: kernel-patched
	@[ -n "$(M)" ] || { echo "usage: make module M=path/to/module" >&2; exit 2; }
	+$(MAKE) -C $(B)/out-patched M=$(abspath $(M)) CONFIG_SAMPLE_USERFAULTFD=m modules

clean:
	rm -rf $(B)/out-* $(B)/mod-* $(B)/selftests-* $(B)/sparse $(B)/uapi $(B)/bench $(B)/guest $(B)/runs $(B)/results*
	-$(MAKE) -C demo clean >/dev/null 2>&1

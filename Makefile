# SPDX-License-Identifier: GPL-2.0-only
#
# make              build everything into $(OUT)
# make test         install missing packages, build, run every test (what CI runs)
# make test-kernel  the stock-kernel (TDP MMU) tier alone, under QEMU emulation
# make test-arm64   the arm64 tier alone: splittop cross-built, in Debian's arm64 kernels under emulation
# make demo         a looping migration in the live view (KERNEL=SPEC: in that Debian kernel; ARCH=arm64: in the arm64 bed)
# make matrix       the kernel matrix's table (README, docs/kernels.md): sources, exactness
# make bench        overhead against no tracing, bpftrace and perf (root; BENCHFLAGS="--only progs --reps 3": ns per event only)
# make bench-lock   2/8/16 vCPUs on one mmu_lock under each way of timing waits
# make bench-harvest the ioctl programs' ns per KVM_GET_DIRTY_LOG (BENCHHARVESTFLAGS: other builds)
# make bench-auth   a wrong-password flood against --web-config: scrape latency
# make bench-replay the replay view on a big recording made up from a real one
# make bench-scale  splittop's memory and CPU against CPUs, VMs and vCPUs
# make seed-tables  the shadow-MMU eager splitting series' tables, in the bed
# make soak         10 minutes of the live view on a looping VM (root)
# make fuzz         libFuzzer targets (clang), with ASan and UBSan
# make asan         everything again with ASan and UBSan, into $(OUT)/asan
# make lint-size    fail on a function over 60 lines in src/ or bpf/ (also a unit test)
# make check-includes  fail on an include against docs/architecture.md's layers (also a unit test)
# make deps         install missing Debian packages (says what it installs)
# make install      into PREFIX=/usr/local (and DESTDIR=): binaries and man pages
# make vmlinux      regenerate vmlinux/$(ARCH)/vmlinux.h from the running kernel (ARCH=arm64: the arm64 bed's)
# make clean        remove $(OUT)
# make help         this list
# make STATIC=1     statically linked binaries (no --listen)
# make ARCH=arm64 STATIC=1  splittop for arm64, cross-built (its sysroot fetched into $(OUT)/sysroot)
# make V=1          show full commands

OUT        ?= build
PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= gcc
CLANG      ?= clang
BPFTOOL    ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PKG_CONFIG ?= pkg-config

UNAME_M := $(shell uname -m)
HOST_ARCH := $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(UNAME_M)))
ARCH    ?= $(HOST_ARCH)
VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h

# A cross build (make ARCH=arm64 STATIC=1 on x86): Debian's GNU cross compiler
# and a sysroot of Debian's own static libraries for that arch, fetched on
# first use (tests/vm/sysroot.py; the system's apt and dpkg untouched).
ifneq ($(ARCH),$(HOST_ARCH))
override STATIC := 1	# the sysroot has Debian's static libraries, and a copy needs nothing more
CROSS_TRIPLE := $(patsubst arm64,aarch64,$(ARCH))-linux-gnu
SYSROOT    ?= $(OUT)/sysroot
CC         := $(CROSS_TRIPLE)-gcc
PKG_CONFIG := env PKG_CONFIG_SYSROOT_DIR=$(abspath $(SYSROOT)) \
	      PKG_CONFIG_LIBDIR=$(abspath $(SYSROOT))/usr/lib/$(CROSS_TRIPLE)/pkgconfig:$(abspath $(SYSROOT))/usr/share/pkgconfig pkg-config
CROSS_CFLAGS := -isystem $(SYSROOT)/usr/include -isystem $(SYSROOT)/usr/include/$(CROSS_TRIPLE)
CROSS_PREREQ := $(SYSROOT)/.done
endif

# Debian packages needed to build, and to test (the bed: qemu, busybox, cpio; the
# arm64 tier: qemu-system-arm, and the cross compiler its static build takes; socat
# drives QEMU's monitor in the real-QEMU tier; prometheus scrapes --listen in a
# test, openssl makes its certificates and curl presents one; gnuplot draws
# splittop-plot's pictures; apache2-utils' htpasswd makes the bcrypt hashes
# README's web configuration uses; prometheus-node-exporter reads --textfile's
# file; capsh (libcap2-bin) runs splittop with only its unit's capabilities).  libmicrohttpd serves --listen;
# --web-config reads YAML with libyaml, checks certificates with GnuTLS (which
# libmicrohttpd's TLS is) and bcrypt hashes with libxcrypt.
BUILD_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libncurses-dev libmicrohttpd-dev \
	      libgnutls28-dev libyaml-dev libcrypt-dev pkg-config gcc make $(if $(CROSS_TRIPLE),gcc-$(CROSS_TRIPLE))
DEB_PKGS := $(BUILD_PKGS) libclang-rt-14-dev tmux python3 git procps qemu-system-x86 busybox-static cpio socat \
	    prometheus prometheus-node-exporter openssl curl gnuplot-nox apache2-utils libcap2-bin \
	    qemu-system-arm gcc-aarch64-linux-gnu

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN      := -Wall -Wextra -Werror
CFLAGS    ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(WARN) -D_GNU_SOURCE -I$(OUT) -Ibpf -Isrc $(CROSS_CFLAGS) $(EXTRA_CFLAGS)
# Expanded where used: a cross build's sysroot is there only by then.
LIBS_BPF  = $(shell $(PKG_CONFIG) --libs $(if $(STATIC),--static) libbpf 2>/dev/null || echo -lbpf -lelf -lz)
# No --listen in a static build: Debian's libmicrohttpd needs GnuTLS, whose
# static link needs libraries Debian ships only shared: http_none.c stands in
# for the server and --web-config, each saying so.
LIBS_HTTP := $(if $(STATIC),,$(shell $(PKG_CONFIG) --libs libmicrohttpd gnutls yaml-0.1 libxcrypt 2>/dev/null || \
	     echo -lmicrohttpd -lgnutls -lyaml -lcrypt))
LIBS_CURSES = $(shell $(PKG_CONFIG) --libs $(if $(STATIC),--static) ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
ALL_LDFLAGS := $(LDFLAGS) $(if $(STATIC),-static) $(EXTRA_LDFLAGS)

# BPF_PROG() hides a ctx argument; unused tracepoint arguments are normal.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-function -Wno-unused-parameter \
	      -I$(dir $(VMLINUX_H)) -Ibpf $(EXTRA_BPF_CFLAGS)

# Sources by what they need.  The core library ($(CORE_LIB)) holds the pure
# objects: no BPF skeleton, no libbpf, curses or libmicrohttpd; splittop, the
# unit tests and the fuzzers (a clang build of it) link it.  The rest of
# splittop loads BPF, draws on the terminal or serves HTTP.
COMMON_SRC  := $(wildcard src/common/*.c)
# The guest and its set-up for ARCH: vm_$(ARCH).c, and guest.S (x86) or guest_$(ARCH).S.
DIRTYVM_SRC := $(filter-out src/dirtyvm/main.c $(filter-out src/dirtyvm/vm_$(ARCH).c,$(wildcard src/dirtyvm/vm_*.c)), \
	       $(wildcard src/dirtyvm/*.c))
DIRTYVM_ASM := $(if $(filter x86,$(ARCH)),src/dirtyvm/guest.S,src/dirtyvm/guest_$(ARCH).S)

# --listen's server and --web-config; a static build has http_none.c instead.
HTTP_SRC    := $(addprefix src/splittop/http/,exporter.c web_config.c web_config_load.c basic_auth.c)
HTTP_NONE   := src/splittop/http/http_none.c
# The kernel side (libbpf; source_kind.c is pure), the terminal (curses),
# the command line (src/splittop/: its options name the kernel side's).
APP_SRC     := src/splittop/main.c src/splittop/options.c \
	       $(filter-out %/source_kind.c,$(wildcard src/splittop/kernel/*.c)) \
	       src/splittop/ui/tui.c src/splittop/ui/replay_tui.c $(if $(STATIC),$(HTTP_NONE),$(HTTP_SRC))
CORE_SRC    := $(COMMON_SRC) $(filter-out $(APP_SRC) $(HTTP_SRC) $(HTTP_NONE), \
	       $(wildcard src/splittop/*.c src/splittop/*/*.c))

obj_of = $(patsubst src/%.c,$(OUT)/obj/%.o,$(patsubst src/%.S,$(OUT)/obj/%.o,$(1)))
CORE_LIB    := $(OUT)/libsplittop.a
# dirtyvm's objects but main, for dirtyvm and its option parser's test.
DIRTYVM_LIB := $(OUT)/libdirtyvm.a
APP_OBJ     := $(call obj_of,$(APP_SRC))

# Only the files that include the generated skeleton wait for it (no header
# includes it: a header that did would need its includers here too).
SKEL_USERS  := $(shell grep -rl --include='*.c' 'splittop\.skel\.h' src)

# Each tests/unit/NAME.c (and tests/bpf/NAME.c) is $(OUT)/tests/NAME.
UNIT_TESTS := $(addprefix $(OUT)/tests/,$(basename $(notdir $(wildcard tests/unit/*.c) $(wildcard tests/bpf/*.c))))
UNIT_TESTS := $(if $(STATIC),$(filter-out %/test_web_config,$(UNIT_TESTS)),$(UNIT_TESTS))

.DELETE_ON_ERROR:
.PHONY: lint-size check-includes help matrix seed-tables bench-scale bench-lock bench-harvest bench-auth bench-replay all clean deps test test-kernel test-arm64 demo bench fuzz asan soak install vmlinux check-arch check-deps

ifeq ($(ARCH),$(HOST_ARCH))
all: check-deps check-arch $(OUT)/dirtyvm $(OUT)/splittop $(OUT)/qemu-guest.elf $(OUT)/qemu-guest-1g.elf \
     $(UNIT_TESTS)
else
all: check-deps check-arch $(OUT)/splittop $(OUT)/dirtyvm

$(SYSROOT)/.done: | $(OUT)
	$(call msg,SYSROOT,$(SYSROOT))
	$(Q)python3 tests/vm/sysroot.py $(ARCH) $(SYSROOT)
endif

# Name the missing build packages before the compiler stumbles on a header.
check-deps:
	@command -v dpkg-query >/dev/null || exit 0; missing=""; for p in $(BUILD_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "error: missing build packages:$$missing; 'make deps' (as root) installs them" >&2; exit 1; \
	fi

check-arch:
	@test -f $(VMLINUX_H) || { echo "error: no CO-RE header for arch '$(UNAME_M)' ($(VMLINUX_H)); run 'make vmlinux' on a kernel with BTF" >&2; exit 1; }

$(OUT)/obj/%.o: src/%.c | $(OUT) $(CROSS_PREREQ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(OUT)/obj/%.o: src/%.S | $(OUT)
	$(call msg,AS,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -c $< -o $@

$(OUT)/splittop.bpf.o: bpf/splittop.bpf.c bpf/splittop.h $(wildcard bpf/*.bpf.h) $(VMLINUX_H) | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/splittop.skel.h: $(OUT)/splittop.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name splittop_bpf > $@

$(call obj_of,$(SKEL_USERS)): $(OUT)/splittop.skel.h

$(CORE_LIB): $(call obj_of,$(CORE_SRC))
$(DIRTYVM_LIB): $(call obj_of,$(DIRTYVM_SRC) $(DIRTYVM_ASM))
$(OUT)/%.a:
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(OUT)/splittop: $(APP_OBJ) $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) $(LIBS_BPF) $(LIBS_CURSES) $(LIBS_HTTP) -lpthread -lm

$(OUT)/dirtyvm: $(OUT)/obj/dirtyvm/main.o $(DIRTYVM_LIB) $(CORE_LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) -lpthread

# A unit test: its file, what the rule names beside it (objects outside the
# core), then the libraries (an archive after the objects that need it).
TEST_LIBS := $(DIRTYVM_LIB) $(CORE_LIB)
$(OUT)/tests/test_web_config: $(call obj_of,src/splittop/http/web_config.c src/splittop/http/basic_auth.c)
$(OUT)/tests/test_web_config: EXTRA_LIBS = $(LIBS_HTTP)
$(OUT)/tests/test_bpf_handlers: $(call obj_of,src/splittop/kernel/kernel_probe.c) $(OUT)/splittop.skel.h
$(OUT)/tests/test_bpf_handlers: EXTRA_LIBS = $(LIBS_BPF)

$(OUT)/tests/%: tests/unit/%.c $(TEST_LIBS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(filter %.c %.o,$^) $(TEST_LIBS) -o $@ $(ALL_LDFLAGS) $(EXTRA_LIBS) -lm -lpthread

$(OUT)/tests/%: tests/bpf/%.c $(TEST_LIBS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(filter %.c %.o,$^) $(TEST_LIBS) -o $@ $(ALL_LDFLAGS) $(EXTRA_LIBS) -lm -lpthread

# The real-QEMU tier's guest: a multiboot kernel for QEMU's -kernel.
$(OUT)/qemu-guest.elf: tests/qemu/guest.S | $(OUT)
	$(call msg,AS,$@)
	$(Q)as --32 -o $(OUT)/qemu-guest.o $<
	$(Q)ld -m elf_i386 -Ttext=0x100000 -e _start -o $@ $(OUT)/qemu-guest.o

# The same guest writing from 1 GiB up (the 1 GiB pages test).
$(OUT)/qemu-guest-1g.elf: tests/qemu/guest.S | $(OUT)
	$(call msg,AS,$@)
	$(Q)as --32 --defsym BASE=0x40000000 -o $(OUT)/qemu-guest-1g.o $<
	$(Q)ld -m elf_i386 -Ttext=0x100000 -e _start -o $@ $(OUT)/qemu-guest-1g.o

# No function body over 60 lines (tests/lint/func_size.py; the suite runs
# it as unit/test_func_size.py).
lint-size:
	$(Q)python3 tests/lint/func_size.py src bpf

# Includes only along docs/architecture.md's arrows (tests/lint/include_layers.py;
# the suite runs it as unit/test_include_layers.py).
check-includes:
	$(Q)python3 tests/lint/include_layers.py

# Every target, one line each: the comment at the top of this file.
help:
	@sed -n 's/^# \(make .*\)/\1/p' $(firstword $(MAKEFILE_LIST))

# Everything built waits for this directory, and so for the package check.
$(OUT): | check-deps
	$(Q)mkdir -p $@

# Install whatever Debian package is missing, and say which.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "make deps: installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
			|| { echo "make deps: apt-get failed for:$$missing" >&2; exit 1; }; \
	fi

# libFuzzer targets (clang), with ASan and UBSan, and a double cast to an
# integer it does not fit (a recording's time: 1e400, 2^64) caught too.
FUZZ_SAN    := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
FUZZ_CFLAGS := -g -O1 $(FUZZ_SAN) -D_GNU_SOURCE -I$(OUT) -Ibpf -Isrc
FUZZ_LIB    := $(OUT)/fuzz/libsplittop.a
fuzz_obj     = $(patsubst src/%.c,$(OUT)/fuzz/obj/%.o,$(1))
FUZZERS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(wildcard tests/fuzz/*.c))
FUZZERS := $(if $(STATIC),$(filter-out %/fuzz_http %/fuzz_web_config,$(FUZZERS)),$(FUZZERS))

# The core again, built by clang with the fuzzers' coverage and sanitizers.
$(OUT)/fuzz/obj/%.o: src/%.c | $(OUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(call fuzz_obj,$(CORE_SRC))
$(call fuzz_obj,$(SKEL_USERS)): $(OUT)/splittop.skel.h

# What a fuzzer needs beyond the core: the option parser the kernel side it
# names; --listen's server, the real one, fed raw requests over loopback;
# --web-config's parser alone.  (fuzz_vm_name: the VM-name chain; and
# fuzz_json_reader: --replay's reader, need the core only.)
$(OUT)/fuzz/fuzz_options: $(call fuzz_obj,src/splittop/options.c $(addprefix src/splittop/kernel/,tracer.c \
			  source_choice.c census.c bpf_log.c kernel_probe.c))
$(OUT)/fuzz/fuzz_options: EXTRA_LIBS = $(LIBS_BPF)
$(OUT)/fuzz/fuzz_http: $(call fuzz_obj,$(addprefix src/splittop/http/,exporter.c basic_auth.c web_config.c))
$(OUT)/fuzz/fuzz_http: EXTRA_LIBS = $(LIBS_HTTP) -lpthread
$(OUT)/fuzz/fuzz_web_config: $(call fuzz_obj,src/splittop/http/web_config.c)
$(OUT)/fuzz/fuzz_web_config: EXTRA_LIBS = $(LIBS_HTTP)

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(filter %.c %.o,$^) $(FUZZ_LIB) -o $@ $(EXTRA_LIBS) -lm

fuzz: $(FUZZERS)

# Everything again with AddressSanitizer and UBSan, into $(OUT)/asan.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan:
	$(Q)$(MAKE) --no-print-directory OUT=$(OUT)/asan EXTRA_CFLAGS="$(SAN_FLAGS)" \
		EXTRA_LDFLAGS="-fsanitize=address,undefined" all

test: deps
	$(Q)$(MAKE) --no-print-directory all fuzz asan
	$(Q)OUT=$(OUT) python3 tests/run.py $(TESTFLAGS)

# 10 minutes of the live view on a looping VM (not part of make test).
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUT=$(OUT) python3 tests/soak.py

# Only the stock-kernel tier (also part of make test).
test-kernel: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUT=$(OUT) python3 tests/run.py -k test_kernel/

# The arm64 tier alone: make ARCH=arm64 STATIC=1, run in the arm64 bed on
# trixie's 6.12 and sid's kernel (tests/arm64, tests/vm/arm64.py).
test-arm64: deps
	$(Q)OUT=$(OUT) python3 tests/run.py -k test_arm64/

# KERNEL=SPEC: the live view inside that Debian kernel, booted in the bed
# (stock, 6.12, 6.18, backports, sid or a package name: tests/vm/kernels.py).
# ARCH=arm64: splittop cross-built, in the arm64 bed (KERNEL=6.12 or sid).
ifeq ($(ARCH),$(HOST_ARCH))
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)KERNEL="$(KERNEL)" bash tests/demo.sh $(OUT)
else
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)python3 tests/vm/arm64.py $(if $(KERNEL),--kernel $(KERNEL)) $$([ -t 0 ] && [ -t 1 ] && echo --tty) \
		$(OUT) tests/arm64/demo.sh
endif

# The peers splittop is compared with; a missing one is skipped, not fatal.
BENCH_PKGS := bpftrace linux-perf
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	@for p in $(BENCH_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$p >/dev/null 2>&1 || \
		echo "make bench: could not install $$p; it is skipped" >&2; \
	done
	@# The floor: splittop whose fault program returns at once (the empty
	@# program of the per-program table and of the contention configuration).
	$(Q)$(MAKE) --no-print-directory OUT=$(OUT)/floor EXTRA_BPF_CFLAGS=-DST_EXPERIMENT_FLOOR $(OUT)/floor/splittop
	$(Q)OUT=$(OUT) python3 tests/bench/bench.py $(BENCHFLAGS)

# The kernel matrix's table (tests/matrix.py; KERNELS= a subset, e.g. "6.12 sid").
matrix: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUT=$(OUT) python3 tests/matrix.py $(KERNELS)

# Issue #14's measurement: 2, 8 and 16 vCPUs fighting for one mmu_lock, the
# first dirty round under each way of timing waits (tests/bench/lock_scale.py;
# meant for a 16-core machine, BENCHLOCKFLAGS=--vcpus 2,8,16 --reps 5).
bench-lock: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUT=$(OUT) python3 tests/bench/lock_scale.py $(BENCHLOCKFLAGS)

# What splittop's ioctl programs add to each dirty-log harvest, by memslot
# size (tests/bench/harvest_ioctls.py; BENCHHARVESTFLAGS= e.g. none=none
# old=/path/to/an/older/build/splittop --reps 5).
bench-harvest: all
	$(Q)python3 tests/bench/harvest_ioctls.py now=$(OUT)/splittop $(BENCHHARVESTFLAGS)

# A flood of wrong passwords against --web-config's basic auth: a scraper's
# latency with and without it (tests/bench/auth_flood.py; BENCHAUTHFLAGS=
# --compare BIN for a second build, e.g. one without the bcrypt budget).
bench-auth: all
	$(Q)OUT=$(OUT) python3 tests/bench/auth_flood.py $(BENCHAUTHFLAGS)

# --replay's view on a big recording made up from a real one: open, steps,
# jumps, sizes.  BENCHREPLAYFLAGS: VMS HOURS DIR (default 64 1 /tmp).
bench-replay: all
	$(Q)OUT=$(OUT) python3 tests/bench/big_recording.py $(BENCHREPLAYFLAGS)

# splittop's memory and CPU time against CPUs (the bed at -smp 2, 8, 32),
# VMs and vCPUs: tests/bench/scale.py; SCALEFLAGS=--no-bed for this host only.
bench-scale: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUT=$(OUT) python3 tests/bench/scale.py $(SCALEFLAGS)

# The shadow-MMU eager splitting series' four tables, with splittop's totals
# (tests/bench/seed_tables.py: the bed, 1/2/4 vCPUs, L1 and L2, N and Y).
seed-tables: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUT=$(OUT) python3 tests/bench/seed_tables.py $(SEEDFLAGS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(OUT)/dirtyvm $(DESTDIR)$(PREFIX)/bin/dirtyvm
	install -m 0755 $(OUT)/splittop $(DESTDIR)$(PREFIX)/bin/splittop
	install -m 0755 src/plot/splittop-plot $(DESTDIR)$(PREFIX)/bin/splittop-plot
	install -m 0644 man/dirtyvm.1 $(DESTDIR)$(PREFIX)/share/man/man1/dirtyvm.1
	install -m 0644 man/splittop-plot.1 $(DESTDIR)$(PREFIX)/share/man/man1/splittop-plot.1
	install -m 0644 man/splittop.8 $(DESTDIR)$(PREFIX)/share/man/man8/splittop.8

ifeq ($(ARCH),$(HOST_ARCH))
vmlinux:
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_H)
else
# Another arch's from its bed (tests/vm/arm64.py: KERNEL=6.12 by default).
vmlinux:
	$(Q)mkdir -p vmlinux/$(ARCH) $(OUT)/btf
	$(Q)python3 tests/vm/arm64.py $(if $(KERNEL),--kernel $(KERNEL)) --out $(OUT)/btf $(OUT)/btf tests/arm64/btf.sh
	$(Q)base64 -d $(OUT)/btf/vmlinux.b64 > $(OUT)/btf/vmlinux
	$(BPFTOOL) btf dump file $(OUT)/btf/vmlinux format c > $(VMLINUX_H)
endif

clean:
	rm -rf $(OUT)

-include $(shell find $(OUT)/obj $(OUT)/fuzz/obj -name '*.d' 2>/dev/null)

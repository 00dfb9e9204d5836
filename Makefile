# SPDX-License-Identifier: GPL-2.0-only
#
# make              build everything into $(OUT)
# make test         install missing packages, build, run every test (what CI runs)
# make test-kernel  the stock-kernel (TDP MMU) tier alone, under QEMU emulation
# make demo         a looping migration in the live view (KERNEL=SPEC: in that Debian kernel)
# make matrix       the kernel matrix's table (README, docs/kernels.md): sources, exactness
# make bench        overhead against no tracing, bpftrace and perf (root)
# make bench-lock   2/8/16 vCPUs on one mmu_lock under each way of timing waits
# make bench-auth   a wrong-password flood against --web-config: scrape latency
# make bench-replay the replay view on a big recording made up from a real one
# make bench-scale  splittop's memory and CPU against CPUs, VMs and vCPUs
# make seed-tables  the shadow-MMU eager splitting series' tables, in the bed
# make soak         10 minutes of the live view on a looping VM (root)
# make fuzz         libFuzzer targets (clang), with ASan and UBSan
# make asan         everything again with ASan and UBSan, into $(OUT)/asan
# make deps         install missing Debian packages (says what it installs)
# make install      into PREFIX=/usr/local (and DESTDIR=): binaries and man pages
# make vmlinux      regenerate vmlinux/$(ARCH)/vmlinux.h from the running kernel
# make clean        remove $(OUT)
# make help         this list
# make STATIC=1     statically linked binaries (no --listen)
# make V=1          show full commands

OUT        ?= build
PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= gcc
CLANG      ?= clang
BPFTOOL    ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
PKG_CONFIG ?= pkg-config

UNAME_M := $(shell uname -m)
ARCH    ?= $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(UNAME_M)))
VMLINUX_H := vmlinux/$(ARCH)/vmlinux.h

# Debian packages needed to build, and to test (the bed: qemu, busybox, cpio; socat
# drives QEMU's monitor in the real-QEMU tier; prometheus scrapes --listen in a
# test, openssl makes its certificates and curl presents one; gnuplot draws
# splittop-plot's pictures; apache2-utils' htpasswd makes the bcrypt hashes
# README's web configuration uses).  libmicrohttpd serves --listen;
# --web-config reads YAML with libyaml, checks certificates with GnuTLS (which
# libmicrohttpd's TLS is) and bcrypt hashes with libxcrypt.
BUILD_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libncurses-dev libmicrohttpd-dev \
	      libgnutls28-dev libyaml-dev libcrypt-dev pkg-config gcc make
DEB_PKGS := $(BUILD_PKGS) libclang-rt-14-dev tmux python3 git procps qemu-system-x86 busybox-static cpio socat \
	    prometheus openssl curl gnuplot-nox apache2-utils

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN      := -Wall -Wextra -Werror
CFLAGS    ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(WARN) -D_GNU_SOURCE -I$(OUT) -Ibpf -Isrc $(EXTRA_CFLAGS)
LIBS_BPF  := $(shell $(PKG_CONFIG) --libs $(if $(STATIC),--static) libbpf 2>/dev/null || echo -lbpf -lelf -lz)
# No --listen in a static build: Debian's libmicrohttpd needs GnuTLS, whose
# static link needs libraries Debian ships only shared: http_none.c stands in
# for the server and --web-config, each saying so.
LIBS_HTTP := $(if $(STATIC),,$(shell $(PKG_CONFIG) --libs libmicrohttpd gnutls yaml-0.1 libxcrypt 2>/dev/null || \
	     echo -lmicrohttpd -lgnutls -lyaml -lcrypt))
LIBS_CURSES := $(shell $(PKG_CONFIG) --libs $(if $(STATIC),--static) ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
ALL_LDFLAGS := $(LDFLAGS) $(if $(STATIC),-static) $(EXTRA_LDFLAGS)

# BPF_PROG() hides a ctx argument; unused tracepoint arguments are normal.
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-function -Wno-unused-parameter \
	      -I$(dir $(VMLINUX_H)) -Ibpf $(EXTRA_BPF_CFLAGS)

COMMON_SRC  := src/common/parse.c src/common/clock.c
DIRTYVM_SRC := src/dirtyvm/main.c src/dirtyvm/vm.c src/dirtyvm/kvm_stats.c \
	       src/dirtyvm/host_params.c src/dirtyvm/options.c src/dirtyvm/report.c
DIRTYVM_ASM := src/dirtyvm/guest.S

DIRTYVM_OBJ := $(patsubst src/%.c,$(OUT)/obj/%.o,$(DIRTYVM_SRC) $(COMMON_SRC)) \
	       $(patsubst src/%.S,$(OUT)/obj/%.o,$(DIRTYVM_ASM))

SPLITTOP_SRC := src/splittop/main.c src/splittop/tracer.c src/splittop/source_choice.c src/splittop/source_kind.c src/splittop/census.c src/splittop/sample.c src/splittop/sources.c src/splittop/bpf_log.c \
		src/splittop/csv.c src/splittop/json.c src/splittop/json_writer.c src/splittop/record.c \
		src/splittop/metrics.c src/splittop/hist.c src/splittop/snapshot.c src/splittop/keys.c src/splittop/vm_table.c src/splittop/vm_name.c src/splittop/text.c \
		src/splittop/view.c src/splittop/tui.c src/splittop/command.c src/splittop/options.c src/splittop/selection.c \
		src/splittop/listen_addr.c src/splittop/openmetrics.c src/splittop/conn_gate.c \
		src/splittop/json_reader.c src/splittop/replay.c src/splittop/recording_vm.c src/splittop/recording_time.c \
		src/splittop/replay_model.c src/splittop/replay_tui.c src/splittop/output_file.c src/splittop/self_stats.c \
		src/splittop/converge.c src/splittop/findings.c \
		$(if $(STATIC),src/splittop/http_none.c,src/splittop/exporter.c src/splittop/web_config.c \
		src/splittop/web_config_load.c src/splittop/basic_auth.c)
SPLITTOP_OBJ := $(patsubst src/%.c,$(OUT)/obj/%.o,$(SPLITTOP_SRC) $(COMMON_SRC))

UNIT_TESTS := $(OUT)/tests/test_parse $(OUT)/tests/test_dirtyvm_options $(OUT)/tests/test_splittop_pure \
	      $(OUT)/tests/test_view $(OUT)/tests/test_vm_table $(OUT)/tests/golden_replay \
	      $(OUT)/tests/test_bpf_handlers $(OUT)/tests/test_json_reader $(OUT)/tests/test_replay $(OUT)/tests/test_conn_gate \
	      $(OUT)/tests/test_self_stats $(OUT)/tests/test_insight \
	      $(if $(STATIC),,$(OUT)/tests/test_web_config)

.DELETE_ON_ERROR:
.PHONY: help matrix seed-tables bench-scale bench-lock bench-auth bench-replay all clean deps test test-kernel demo bench fuzz asan soak install vmlinux check-arch check-deps

all: check-deps check-arch $(OUT)/dirtyvm $(OUT)/splittop $(OUT)/qemu-guest.elf $(OUT)/qemu-guest-1g.elf \
     $(UNIT_TESTS)

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

$(OUT)/obj/%.o: src/%.c | $(OUT)
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

# Everything in src/splittop may include the skeleton.
$(patsubst src/%.c,$(OUT)/obj/%.o,$(SPLITTOP_SRC)): $(OUT)/splittop.skel.h

$(OUT)/splittop: $(SPLITTOP_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) $(LIBS_BPF) $(LIBS_CURSES) $(LIBS_HTTP) -lpthread -lm

# The parts of splittop that need neither root nor BPF nor a terminal.
SPLITTOP_PURE_OBJ := $(patsubst %,$(OUT)/obj/splittop/%.o,csv json json_writer record metrics hist snapshot \
		     vm_table vm_name text view keys openmetrics listen_addr json_reader replay recording_vm recording_time \
		     replay_model selection self_stats source_kind) $(OUT)/obj/common/parse.o

$(OUT)/tests/golden_replay: tests/unit/golden_replay.c $(SPLITTOP_PURE_OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS)

$(OUT)/tests/test_vm_table: tests/unit/test_vm_table.c $(OUT)/obj/splittop/vm_table.o \
		$(OUT)/obj/splittop/vm_name.o $(OUT)/obj/splittop/text.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS)

$(OUT)/tests/test_view: tests/unit/test_view.c $(SPLITTOP_PURE_OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS)

$(OUT)/tests/test_splittop_pure: tests/unit/test_splittop_pure.c $(SPLITTOP_PURE_OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS)

$(OUT)/tests/test_json_reader: tests/unit/test_json_reader.c $(OUT)/obj/splittop/json_reader.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $^ -o $@ $(ALL_LDFLAGS)

$(OUT)/tests/test_replay: tests/unit/test_replay.c $(SPLITTOP_PURE_OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $^ -o $@ $(ALL_LDFLAGS)

$(OUT)/tests/test_self_stats: tests/unit/test_self_stats.c $(SPLITTOP_PURE_OBJ)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $^ -o $@ $(ALL_LDFLAGS)

# Convergence and findings: pure arithmetic over the contract's structs.
$(OUT)/tests/test_insight: tests/unit/test_insight.c $(OUT)/obj/splittop/converge.o $(OUT)/obj/splittop/findings.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $^ -o $@ $(ALL_LDFLAGS) -lm

$(OUT)/tests/test_web_config: tests/unit/test_web_config.c $(OUT)/obj/splittop/web_config.o \
		$(OUT)/obj/splittop/basic_auth.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $^ -o $@ $(ALL_LDFLAGS) $(LIBS_HTTP) -lpthread

$(OUT)/tests/test_conn_gate: tests/unit/test_conn_gate.c $(OUT)/obj/splittop/conn_gate.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $^ -o $@ $(ALL_LDFLAGS) -lpthread

$(OUT)/tests/test_bpf_handlers: tests/bpf/test_bpf_handlers.c $(OUT)/obj/splittop/sources.o \
		$(OUT)/splittop.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $(filter %.c %.o,$^) -o $@ $(ALL_LDFLAGS) $(LIBS_BPF)

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

$(OUT)/dirtyvm: $(DIRTYVM_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) -lpthread

$(OUT)/tests/test_parse: tests/unit/test_parse.c $(OUT)/obj/common/parse.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) -lm

$(OUT)/tests/test_dirtyvm_options: tests/unit/test_dirtyvm_options.c $(OUT)/obj/dirtyvm/options.o \
		$(OUT)/obj/dirtyvm/report.o $(OUT)/obj/dirtyvm/kvm_stats.o $(OUT)/obj/common/parse.o
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $^ -o $@ $(ALL_LDFLAGS) -lm

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
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined,float-cast-overflow -fno-sanitize-recover=all \
	       -D_GNU_SOURCE -I$(OUT) -Ibpf -Isrc
FUZZERS := $(OUT)/fuzz/fuzz_options $(OUT)/fuzz/fuzz_vm_name $(OUT)/fuzz/fuzz_json_reader \
	   $(if $(STATIC),,$(OUT)/fuzz/fuzz_http $(OUT)/fuzz/fuzz_web_config)

$(OUT)/fuzz/fuzz_options: tests/fuzz/fuzz_options.c src/splittop/options.c src/splittop/tracer.c src/splittop/source_choice.c src/splittop/source_kind.c src/splittop/census.c src/splittop/bpf_log.c \
		src/splittop/sources.c src/splittop/vm_name.c src/splittop/text.c src/splittop/vm_table.c src/common/parse.c \
		src/splittop/listen_addr.c \
		$(OUT)/splittop.skel.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@ $(LIBS_BPF)

$(OUT)/fuzz/fuzz_vm_name: tests/fuzz/fuzz_vm_name.c $(patsubst %,src/splittop/%.c,vm_name text json \
		json_writer csv vm_table metrics hist snapshot openmetrics json_reader recording_vm self_stats)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

# --listen's server, the real one, fed raw requests over loopback.
$(OUT)/fuzz/fuzz_http: tests/fuzz/fuzz_http.c $(patsubst %,src/splittop/%.c,exporter openmetrics json_writer metrics hist \
		snapshot vm_table vm_name text basic_auth web_config conn_gate self_stats) src/common/clock.c
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@ $(LIBS_HTTP) -lpthread

# --replay's JSON reader.
$(OUT)/fuzz/fuzz_json_reader: tests/fuzz/fuzz_json_reader.c src/splittop/json_reader.c src/splittop/recording_vm.c \
		src/splittop/text.c src/splittop/recording_time.c
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

# --web-config's parser alone.
$(OUT)/fuzz/fuzz_web_config: tests/fuzz/fuzz_web_config.c src/splittop/web_config.c
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@ $(LIBS_HTTP)

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

# KERNEL=SPEC: the live view inside that Debian kernel, booted in the bed
# (stock, 6.12, 6.18, backports, sid or a package name: tests/vm/kernels.py).
demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)KERNEL="$(KERNEL)" bash tests/demo.sh $(OUT)

# The peers splittop is compared with; a missing one is skipped, not fatal.
BENCH_PKGS := bpftrace linux-perf
bench: deps
	$(Q)$(MAKE) --no-print-directory all
	@for p in $(BENCH_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$p >/dev/null 2>&1 || \
		echo "make bench: could not install $$p; it is skipped" >&2; \
	done
	@# The floor: splittop whose fault program returns at once (the contention
	@# configuration's bpf_stats baseline).
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

vmlinux:
	$(Q)mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_H)

clean:
	rm -rf $(OUT)

-include $(shell find $(OUT)/obj -name '*.d' 2>/dev/null)

// SPDX-License-Identifier: GPL-2.0-only
#include "vm.h"
#include "common/clock.h"
#include "kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#endif
#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB (30 << 26)
#endif

extern const unsigned char guest_code_start[], guest_code_end[];
extern const unsigned char guest_nested_start[], guest_nested_end[], guest_l2_entry[];

/*
 * Guest-physical layout of the system memslot (slot 0).  The data memslot
 * starts at 4 GiB so that every vCPU region is 2 MiB aligned in both the
 * guest and the host, which is what lets KVM map it with 2 MiB pages.
 */
#define SYS_SLOT	0
#define SYS_SIZE	(4ULL << 20)
#define CODE_GPA	0x1000ULL
#define PARAM_GPA	0x2000ULL	/* 64 bytes per vCPU */
#define PML4_GPA	0x10000ULL
#define PDPT_GPA	0x11000ULL
#define PD_SYS_GPA	0x12000ULL	/* GPA 0..1 GiB */
#define PD_MMIO_GPA	0x13000ULL	/* GPA 3..4 GiB */
#define PD_DATA_GPA	0x14000ULL	/* GPA 4 GiB.., one page per GiB */
#define MMIO_GPA	0xfffff000ULL	/* in no memslot: writes exit to us */
#define MAX_DATA_GIB	((SYS_SIZE / 2 - PD_DATA_GPA) / DVM_PAGE_SIZE)
/* --nested: each vCPU's VMCB and host-save page, from 2 MiB; L1's nested
 * page tables for L2, from 3 MiB.  They are tables of their own: if L2's
 * page tables were also the nested ones (which KVM write-protects to
 * shadow them), every walk of L2's page tables would fault to KVM, and
 * KVM would emulate each L2 instruction. */
#define VMCB_GPA(i)	(SYS_SIZE / 2 + 0x2000ULL * (i))
#define HSAVE_GPA(i)	(VMCB_GPA(i) + 0x1000)
#define NPT_PML4_GPA	(SYS_SIZE * 3 / 4)
#define NPT_PDPT_GPA	(NPT_PML4_GPA + 0x1000)
#define NPT_PD_SYS_GPA	(NPT_PML4_GPA + 0x2000)
#define NPT_PD_MMIO_GPA	(NPT_PML4_GPA + 0x3000)
#define NPT_PD_DATA_GPA	(NPT_PML4_GPA + 0x4000)
#define MAX_NESTED_DATA_GIB ((SYS_SIZE - NPT_PD_DATA_GPA) / DVM_PAGE_SIZE)
#define MSR_VM_HSAVE_PA	0xc0010117
#define EFER_LME_LMA	0x500ULL
#define EFER_SVME	0x1000ULL

#define PTE_P	(1ULL << 0)
#define PTE_RW	(1ULL << 1)
#define PTE_US	(1ULL << 2)
#define PTE_A	(1ULL << 5)
#define PTE_D	(1ULL << 6)
#define PTE_PS	(1ULL << 7)
/* Accessed and dirty preset so that KVM never has to write guest page
 * tables while the test runs: every fault is about the data itself. */
#define PTE_TABLE (PTE_P | PTE_RW | PTE_US | PTE_A)
#define PTE_2M	  (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_PS)
#define PTE_1G	  PTE_2M	/* PS in a PDPTE */

static uint64_t *sys_ptr(struct dvm_vm *vm, uint64_t gpa)
{
	return (uint64_t *)((char *)vm->sys_mem + gpa);
}

/* Identity tables from pml4_gpa on: the system memory, the MMIO page's
 * 2 MiB and the data, with 2 MiB entries (1 GiB ones for the data where
 * use_1g).  The guest's own page tables, and (--nested) L1's nested ones. */
static void build_tables(struct dvm_vm *vm, uint64_t pml4_gpa, uint64_t pdpt_gpa, uint64_t pd_sys_gpa,
			 uint64_t pd_mmio_gpa, uint64_t pd_data_gpa, bool use_1g)
{
	uint64_t *pml4 = sys_ptr(vm, pml4_gpa);
	uint64_t *pdpt = sys_ptr(vm, pdpt_gpa);
	uint64_t *pd_sys = sys_ptr(vm, pd_sys_gpa);
	uint64_t *pd_mmio = sys_ptr(vm, pd_mmio_gpa);
	uint64_t gib, off;

	pml4[0] = pdpt_gpa | PTE_TABLE;
	pdpt[0] = pd_sys_gpa | PTE_TABLE;
	pdpt[3] = pd_mmio_gpa | PTE_TABLE;
	for (off = 0; off < SYS_SIZE; off += DVM_HUGE_SIZE)
		pd_sys[off / DVM_HUGE_SIZE] = off | PTE_2M;
	pd_mmio[511] = (MMIO_GPA & ~(DVM_HUGE_SIZE - 1)) | PTE_2M;

	for (gib = 0; gib * DVM_GIB < vm->data_size; gib++) {
		uint64_t pd_gpa = pd_data_gpa + gib * DVM_PAGE_SIZE;
		uint64_t *pd = sys_ptr(vm, pd_gpa);
		unsigned int i;

		if (use_1g) {
			pdpt[4 + gib] = (DVM_DATA_GPA + gib * DVM_GIB) | PTE_1G;
			continue;
		}
		pdpt[4 + gib] = pd_gpa | PTE_TABLE;
		for (i = 0; i < 512; i++) {
			uint64_t gpa = DVM_DATA_GPA + gib * (1ULL << 30) + i * DVM_HUGE_SIZE;

			if (gpa >= DVM_DATA_GPA + vm->data_size)
				break;
			pd[i] = gpa | PTE_2M;
		}
	}
}

static void build_page_tables(struct dvm_vm *vm)
{
	build_tables(vm, PML4_GPA, PDPT_GPA, PD_SYS_GPA, PD_MMIO_GPA, PD_DATA_GPA, vm->guest_1g);
	/* Nested walks are user accesses: PTE_US is in every entry. */
	if (vm->nested)
		build_tables(vm, NPT_PML4_GPA, NPT_PDPT_GPA, NPT_PD_SYS_GPA, NPT_PD_MMIO_GPA,
			     NPT_PD_DATA_GPA, false);
}

static int map_data(struct dvm_vm *vm)
{
	size_t len = vm->data_size;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	char *p;

	if (vm->backing == BACKING_HUGETLB || vm->backing == BACKING_HUGETLB1G) {
		/* hugetlb mappings are aligned to their page size. */
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			 (vm->backing == BACKING_HUGETLB ? MAP_HUGE_2MB : MAP_HUGE_1GB), -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		vm->data_map = vm->data = p;
		vm->data_map_len = len;
		return 0;
	}
	/* Over-allocate by 2 MiB so the data can start on a 2 MiB boundary. */
	vm->data_map_len = len + DVM_HUGE_SIZE;
	p = mmap(NULL, vm->data_map_len, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	vm->data_map = p;
	vm->data = (void *)(((uintptr_t)p + DVM_HUGE_SIZE - 1) & ~(DVM_HUGE_SIZE - 1));
	if (madvise(vm->data, len, vm->backing == BACKING_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return -errno;
	return 0;
}

static int set_memslot(struct dvm_vm *vm, unsigned int slot, uint64_t gpa, uint64_t size,
		       void *host, unsigned int flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)host,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code, uint8_t dpl)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = dpl;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

/* Whether the vCPUs' CPUID (KVM's supported one, as setup_cpuid() sets it)
 * has 1 GiB pages (CPUID 0x80000001 EDX bit 26, pdpe1gb). */
bool dvm_kvm_has_1g_pages(int kvm_fd)
{
	unsigned int n = 256, i;
	struct kvm_cpuid2 *c;
	bool yes = false;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return false;
	c->nent = n;
	if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
		for (i = 0; i < c->nent; i++)
			if (c->entries[i].function == 0x80000001)
				yes = c->entries[i].edx & (1u << 26);
	free(c);
	return yes;
}

/* Whether KVM offers its vCPUs SVM (CPUID 0x80000001 ECX bit 2) with nested
 * paging (0x8000000A EDX bit 0): kvm_amd with nested=1 and npt. */
bool dvm_kvm_has_nested_svm(int kvm_fd)
{
	bool svm = false, npt = false;
	unsigned int n = 256, i;
	struct kvm_cpuid2 *c;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return false;
	c->nent = n;
	if (!ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c))
		for (i = 0; i < c->nent; i++) {
			if (c->entries[i].function == 0x80000001)
				svm = c->entries[i].ecx & (1u << 2);
			if (c->entries[i].function == 0x8000000a)
				npt = c->entries[i].edx & 1u;
		}
	free(c);
	return svm && npt;
}

/* One segment of the VMCB's save area (APM vol. 2, appendix B). */
static void vmcb_seg(uint8_t *vmcb, unsigned int off, uint16_t sel, uint16_t attrib, uint32_t limit)
{
	memcpy(vmcb + off, &sel, 2);
	memcpy(vmcb + off + 2, &attrib, 2);
	memcpy(vmcb + off + 4, &limit, 4);
	memset(vmcb + off + 8, 0, 8);
}

static void vmcb_u64(uint8_t *vmcb, unsigned int off, uint64_t v)
{
	memcpy(vmcb + off, &v, 8);
}

/* vCPU i's VMCB for L2: L1's own identity page tables (CR3), and identity
 * nested page tables (nCR3): L2's addresses are L1's, its memory mapped
 * by L1 with 2 MiB entries.  Intercepts VMRUN (required) and VMMCALL
 * (L2's "pass done"). */
static void build_vmcb(struct dvm_vm *vm, unsigned int i)
{
	uint8_t *vmcb = (uint8_t *)sys_ptr(vm, VMCB_GPA(i));
	uint32_t intercepts = 0x3, asid = 1;

	memset(vmcb, 0, 0x2000);
	memcpy(vmcb + 0x010, &intercepts, 4);	/* VMRUN, VMMCALL */
	memcpy(vmcb + 0x058, &asid, 4);
	vmcb_u64(vmcb, 0x090, 1);		/* NP_ENABLE */
	vmcb_u64(vmcb, 0x0b0, NPT_PML4_GPA);	/* nCR3 */
	vmcb_seg(vmcb, 0x400, 0x10, 0x093, 0xffffffff);	/* ES */
	vmcb_seg(vmcb, 0x410, 0x08, 0x29b, 0xffffffff);	/* CS: 64-bit code */
	vmcb_seg(vmcb, 0x420, 0x10, 0x093, 0xffffffff);	/* SS */
	vmcb_seg(vmcb, 0x430, 0x10, 0x093, 0xffffffff);	/* DS */
	vmcb_seg(vmcb, 0x440, 0x10, 0x093, 0xffffffff);	/* FS */
	vmcb_seg(vmcb, 0x450, 0x10, 0x093, 0xffffffff);	/* GS */
	vmcb_seg(vmcb, 0x490, 0, 0x08b, 0x67);		/* TR */
	vmcb_u64(vmcb, 0x4d0, EFER_SVME | EFER_LME_LMA);	/* KVM wants SVME in L2's EFER too */
	vmcb_u64(vmcb, 0x548, 0x20);		/* CR4: PAE */
	vmcb_u64(vmcb, 0x550, PML4_GPA);	/* CR3 */
	vmcb_u64(vmcb, 0x558, 0x80050033);	/* CR0: PG WP NE ET MP PE */
	vmcb_u64(vmcb, 0x560, 0x400);		/* DR7 */
	vmcb_u64(vmcb, 0x568, 0xffff0ff0);	/* DR6 */
	vmcb_u64(vmcb, 0x570, 0x2);		/* RFLAGS */
	vmcb_u64(vmcb, 0x578, CODE_GPA + (guest_l2_entry - guest_nested_start));
	vmcb_u64(vmcb, 0x668, 0x0007040600070406ULL);	/* G_PAT: the reset value */
}

static int setup_cpuid(struct dvm_vm *vm, int vcpu_fd)
{
	unsigned int n = 256;
	struct kvm_cpuid2 *c;
	int err = 0;

	c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = n;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) || ioctl(vcpu_fd, KVM_SET_CPUID2, c))
		err = -errno;
	free(c);
	return err;
}

static int setup_vcpu_regs(struct dvm_vm *vm, struct dvm_vcpu *v)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs))
		return -errno;
	/* 64-bit long mode with paging at CPL 3: the only mode that runs
	 * natively, with real shadow page faults, on this hypervisor.  The
	 * nested guest's L1 is a hypervisor: CPL 0, EFER.SVME. */
	sregs.cr0 = 0x80050033;		/* PG | WP | NE | ET | MP | PE */
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = 0x20;		/* PAE */
	sregs.efer = EFER_LME_LMA | (vm->nested ? EFER_SVME : 0);
	if (vm->nested) {
		seg(&sregs.cs, 0x08, 0xb, true, 0);
		seg(&sregs.ds, 0x10, 0x3, false, 0);
	} else {
		seg(&sregs.cs, 0x33, 0xb, true, 3);
		seg(&sregs.ds, 0x2b, 0x3, false, 3);
	}
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.limit = 0x67;
	sregs.tr.type = 0xb;
	sregs.tr.present = 1;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs))
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_GPA;
	regs.rflags = 0x2;
	regs.rdi = DVM_DATA_GPA + (uint64_t)v->id * vm->region_size;
	regs.r8 = 100;
	regs.r10 = MMIO_GPA;
	regs.r11 = PARAM_GPA + 64ULL * v->id;
	if (vm->nested)
		regs.rax = VMCB_GPA(v->id);
	if (ioctl(v->fd, KVM_SET_REGS, &regs))
		return -errno;
	if (vm->nested) {
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e;
		} msrs = { .hdr.nmsrs = 1, .e = { .index = MSR_VM_HSAVE_PA, .data = HSAVE_GPA(v->id) } };

		if (ioctl(v->fd, KVM_SET_MSRS, &msrs) != 1)
			return -EINVAL;
		build_vmcb(vm, v->id);
	}
	return 0;
}

/* What a KVM_RUN exit means for the pass: 0 done (the guest wrote the
 * "pass done" address), -EINTR run again, else why the pass failed. */
static int pass_exit(const struct dvm_vm *vm, const struct kvm_run *run)
{
	if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write && run->mmio.phys_addr == MMIO_GPA)
		return 0;
	if (vm->nested && run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr == MMIO_GPA + 8)
		return -ENOTSUP;	/* L2 exited to L1 for another reason */
	if (run->exit_reason == KVM_EXIT_INTR)
		return -EINTR;
	if (run->exit_reason == KVM_EXIT_DIRTY_RING_FULL)
		return -ENOSPC;		/* sized to hold a round: never expected */
	return -EPROTO;
}

static void *vcpu_thread(void *arg)
{
	struct dvm_vcpu *v = arg;
	struct dvm_vm *vm = v->vm;
	uint64_t seen = 0;

	for (;;) {
		bool run;
		int err = 0;

		pthread_mutex_lock(&vm->lock);
		while (vm->pass_gen == seen && !vm->quit)
			pthread_cond_wait(&vm->cond, &vm->lock);
		if (vm->quit) {
			pthread_mutex_unlock(&vm->lock);
			return NULL;
		}
		/* Whether to run is read with the generation, under the lock: read
		 * after it, a thread that woke late for a pass it sat out could see
		 * the next pass's flag, run twice and count a pass it never ran
		 * (one vCPU then a pass behind for the rest of the run: KVM saw its
		 * writes after the VMM had collected the round). */
		seen = vm->pass_gen;
		run = v->run_now;
		pthread_mutex_unlock(&vm->lock);
		if (!run)
			continue;

		for (;;) {
			if (*vm->stop) {
				err = -EINTR;
				break;
			}
			if (ioctl(v->fd, KVM_RUN, NULL)) {
				err = -errno;
				if (err == -EINTR || err == -EAGAIN) {
					v->run->immediate_exit = 0;
					if (*vm->stop)
						break;
					continue;
				}
				break;
			}
			err = pass_exit(vm, v->run);
			if (err != -EINTR)
				break;
			err = 0;
		}
		v->pass_end = now_mono();
		v->err = err;

		pthread_mutex_lock(&vm->lock);
		v->done_gen = seen;
		vm->pass_done++;
		pthread_cond_broadcast(&vm->cond);
		pthread_mutex_unlock(&vm->lock);
	}
}

static void kick_handler(int sig)
{
	(void)sig;
}

static const char *backing_desc(enum dvm_backing b)
{
	return b == BACKING_HUGETLB ? "hugetlb" : b == BACKING_HUGETLB1G ? "hugetlb 1 GiB" :
	       b == BACKING_THP ? "thp" : "4k";
}

static void vm_init(struct dvm_vm *vm, int kvm_fd, const struct dvm_vm_params *p)
{
	unsigned int i;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = kvm_fd;
	vm->fd = vm->stats_fd = -1;
	vm->index = p->index;
	vm->nvcpus = p->nvcpus;
	vm->region_size = p->region_size;
	vm->backing = p->backing;
	vm->nested = p->nested;
	vm->stop = p->stop;
	vm->data_size = (uint64_t)p->nvcpus * p->region_size;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->cond, NULL);
	for (i = 0; i < DVM_MAX_VCPUS; i++)
		vm->vcpus[i].fd = vm->vcpus[i].stats_fd = -1;
}

/* The VM itself: its fd, manual dirty-log protection if asked, its stats. */
/* KVM's own bounds on a ring: the entries it keeps in reserve, and PML's
 * log (Intel) that a vCPU may flush into it at once. */
#define RING_RESERVED		(64 + 512)
#define RING_MAX_ENTRIES	65536U
#ifndef KVM_EXIT_DIRTY_RING_FULL
#define KVM_EXIT_DIRTY_RING_FULL 31
#endif
/* Where a vCPU's ring is mapped on its fd, in pages (x86; linux/kvm.h
 * leaves it to the architecture's header, which Debian 12's lacks). */
#define RING_PAGE_OFFSET	64

/* A ring per vCPU that holds a whole round of its pages: each vCPU writes
 * only its own region, and its writes land in its own ring. */
static int enable_dirty_ring(struct dvm_vm *vm)
{
	uint64_t need = vm->region_size / DVM_PAGE_SIZE + RING_RESERVED;
	struct kvm_enable_cap cap = { 0 };
	uint32_t entries = 4096 / sizeof(struct kvm_dirty_gfn);
	long max;

	while (entries < need && entries < RING_MAX_ENTRIES)
		entries <<= 1;
	cap.cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL;
	max = ioctl(vm->fd, KVM_CHECK_EXTENSION, cap.cap);
	if (max <= 0) {
		cap.cap = KVM_CAP_DIRTY_LOG_RING;
		max = ioctl(vm->fd, KVM_CHECK_EXTENSION, cap.cap);
	}
	if (max <= 0) {
		fprintf(stderr, "dirtyvm: --mode ring: this KVM has no dirty ring (KVM_CAP_DIRTY_LOG_RING)\n");
		return -ENOTSUP;
	}
	if (entries < need || (uint64_t)entries * sizeof(struct kvm_dirty_gfn) > (uint64_t)max) {
		fprintf(stderr, "dirtyvm: --mode ring: a round of %llu pages per vCPU does not fit in this KVM's "
			"dirty ring (%ld bytes at most)\n", (unsigned long long)(need - RING_RESERVED), max);
		return -E2BIG;
	}
	cap.args[0] = (uint64_t)entries * sizeof(struct kvm_dirty_gfn);
	if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap)) {
		int err = -errno;

		fprintf(stderr, "dirtyvm: enabling the dirty ring (%u entries): %s\n", entries, strerror(errno));
		return err;
	}
	vm->ring_entries = entries;
	return 0;
}

static int vm_open(struct dvm_vm *vm, int kvm_fd, bool manual_protect, bool dirty_ring)
{
	int err;

	vm->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_CREATE_VM: %s\n", strerror(errno));
		return err;
	}
	if (manual_protect) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
		};
		if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap)) {
			err = -errno;
			fprintf(stderr, "dirtyvm: enabling KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: %s\n",
				strerror(errno));
			return err;
		}
		vm->manual_protect = true;
	}
	if (dirty_ring) {
		err = enable_dirty_ring(vm);
		if (err)
			return err;
	}
	vm->stats_fd = ioctl(vm->fd, KVM_GET_STATS_FD, NULL);
	if (vm->stats_fd < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_GET_STATS_FD: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

/* Its memory: the system pages (code, page tables) and the data, in two
 * memslots. */
static int vm_memory(struct dvm_vm *vm)
{
	int err;

	vm->sys_size = SYS_SIZE;
	vm->sys_mem = mmap(NULL, SYS_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->sys_mem == MAP_FAILED) {
		vm->sys_mem = NULL;
		err = -errno;
		fprintf(stderr, "dirtyvm: mapping system memory: %s\n", strerror(errno));
		return err;
	}
	err = map_data(vm);
	if (err) {
		fprintf(stderr, "dirtyvm: mapping %llu MiB of %s guest memory: %s\n",
			(unsigned long long)(vm->data_size >> 20), backing_desc(vm->backing),
			strerror(-err));
		return err;
	}
	if (vm->nested)
		memcpy(sys_ptr(vm, CODE_GPA), guest_nested_start, guest_nested_end - guest_nested_start);
	else
		memcpy(sys_ptr(vm, CODE_GPA), guest_code_start, guest_code_end - guest_code_start);
	vm->guest_1g = vm->backing == BACKING_HUGETLB1G && dvm_kvm_has_1g_pages(vm->kvm_fd);
	build_page_tables(vm);

	err = set_memslot(vm, SYS_SLOT, 0, SYS_SIZE, vm->sys_mem, 0);
	if (!err)
		err = set_memslot(vm, DVM_DATA_SLOT, DVM_DATA_GPA, vm->data_size, vm->data, 0);
	if (err) {
		fprintf(stderr, "dirtyvm: KVM_SET_USER_MEMORY_REGION: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

/* vCPU i: its fd, stats, run area, CPUID and registers, and its thread. */
static int vcpu_create(struct dvm_vm *vm, unsigned int i, int mmap_size)
{
	struct dvm_vcpu *v = &vm->vcpus[i];
	int err;

	v->vm = vm;
	v->id = i;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
	if (v->fd < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_CREATE_VCPU %u: %s\n", i, strerror(errno));
		return err;
	}
	v->stats_fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	if (v->stats_fd < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_GET_STATS_FD of vCPU %u: %s\n", i, strerror(errno));
		return err;
	}
	v->run_size = mmap_size;
	v->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		err = -errno;
		fprintf(stderr, "dirtyvm: mapping vCPU %u run area: %s\n", i, strerror(errno));
		return err;
	}
	if (vm->ring_entries) {
		v->ring = mmap(NULL, (size_t)vm->ring_entries * sizeof(*v->ring), PROT_READ | PROT_WRITE, MAP_SHARED,
			       v->fd, RING_PAGE_OFFSET * getpagesize());
		if (v->ring == MAP_FAILED) {
			v->ring = NULL;
			err = -errno;
			fprintf(stderr, "dirtyvm: mapping vCPU %u dirty ring: %s\n", i, strerror(errno));
			return err;
		}
	}
	err = setup_cpuid(vm, v->fd);
	if (!err)
		err = setup_vcpu_regs(vm, v);
	if (err) {
		fprintf(stderr, "dirtyvm: setting up vCPU %u: %s\n", i, strerror(-err));
		return err;
	}
	err = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (err) {
		fprintf(stderr, "dirtyvm: starting vCPU %u thread: %s\n", i, strerror(err));
		return -err;
	}
	v->thread_started = true;
	return 0;
}

int dvm_vm_create(struct dvm_vm *vm, int kvm_fd, const struct dvm_vm_params *p)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	int mmap_size, err;
	unsigned int i;

	vm_init(vm, kvm_fd, p);
	if (vm->data_size > (vm->nested ? MAX_NESTED_DATA_GIB : MAX_DATA_GIB) << 30) {
		fprintf(stderr, "dirtyvm: %llu GiB of guest memory is more than the %llu GiB supported%s\n",
			(unsigned long long)(vm->data_size >> 30),
			(unsigned long long)(vm->nested ? MAX_NESTED_DATA_GIB : MAX_DATA_GIB),
			vm->nested ? " with --nested" : "");
		return -E2BIG;
	}
	/* vCPU threads are kicked out of KVM_RUN with SIGUSR1 (see dvm_vm_kick). */
	sigaction(SIGUSR1, &sa, NULL);
	err = vm_open(vm, kvm_fd, p->manual_protect, p->dirty_ring);
	if (!err)
		err = vm_memory(vm);
	if (err)
		return err;
	mmap_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < 0) {
		err = -errno;
		fprintf(stderr, "dirtyvm: KVM_GET_VCPU_MMAP_SIZE: %s\n", strerror(errno));
		return err;
	}
	for (i = 0; i < vm->nvcpus; i++) {
		err = vcpu_create(vm, i, mmap_size);
		if (err)
			return err;
	}
	return 0;
}

void dvm_vm_destroy(struct dvm_vm *vm)
{
	unsigned int i;

	pthread_mutex_lock(&vm->lock);
	vm->quit = true;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < DVM_MAX_VCPUS; i++) {
		struct dvm_vcpu *v = &vm->vcpus[i];

		if (v->thread_started)
			pthread_join(v->thread, NULL);
		if (v->run)
			munmap(v->run, v->run_size);
		if (v->ring)
			munmap(v->ring, (size_t)vm->ring_entries * sizeof(*v->ring));
		v->ring = NULL;
		if (v->stats_fd >= 0)
			close(v->stats_fd);
		if (v->fd >= 0)
			close(v->fd);
		v->fd = v->stats_fd = -1;
	}
	if (vm->stats_fd >= 0)
		close(vm->stats_fd);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->data_map)
		munmap(vm->data_map, vm->data_map_len);
	if (vm->sys_mem)
		munmap(vm->sys_mem, vm->sys_size);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	vm->fd = vm->stats_fd = -1;
	vm->data_map = vm->sys_mem = NULL;
}

void dvm_vm_kick(struct dvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nvcpus; i++) {
		struct dvm_vcpu *v = &vm->vcpus[i];

		/* immediate_exit closes the race with a vCPU about to enter. */
		if (v->run)
			v->run->immediate_exit = 1;
		if (v->thread_started)
			pthread_kill(v->thread, SIGUSR1);
	}
}

static int run_pass(struct dvm_vm *vm, int only_vcpu, unsigned int write_pct, uint64_t pages,
		    double *secs)
{
	double start, end = 0;
	unsigned int i;
	int err = 0;

	for (i = 0; i < vm->nvcpus; i++) {
		sys_ptr(vm, PARAM_GPA + 64ULL * i)[0] = write_pct;
		sys_ptr(vm, PARAM_GPA + 64ULL * i)[1] = pages;
	}

	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->nvcpus; i++) {
		vm->vcpus[i].run_now = only_vcpu < 0 || (unsigned int)only_vcpu == i;
		vm->vcpus[i].err = 0;
	}
	vm->pass_done = 0;
	start = now_mono();
	vm->pass_gen++;
	pthread_cond_broadcast(&vm->cond);
	while (vm->pass_done < (only_vcpu < 0 ? vm->nvcpus : 1))
		pthread_cond_wait(&vm->cond, &vm->lock);

	for (i = 0; i < vm->nvcpus; i++) {
		struct dvm_vcpu *v = &vm->vcpus[i];

		/* A pass is over only when each of its vCPUs finished this one:
		 * a round's dirty log is collected next. */
		if (v->run_now && v->done_gen != vm->pass_gen && !err) {
			fprintf(stderr, "dirtyvm: vm %u vCPU %u: pass %llu counted done, the vCPU still in pass %llu\n",
				vm->index, i, (unsigned long long)vm->pass_gen, (unsigned long long)v->done_gen);
			err = -EPROTO;
		}
		if (v->err && !err) {
			err = v->err;
			if (err != -EINTR) {
				if (err == -EPROTO)
					fprintf(stderr, "dirtyvm: vm %u vCPU %u: unexpected exit reason %u\n",
						vm->index, i, v->run->exit_reason);
				else if (err == -ENOTSUP)
					fprintf(stderr, "dirtyvm: vm %u vCPU %u: L2 exited to L1 with SVM exit code 0x%llx\n",
						vm->index, i, (unsigned long long)sys_ptr(vm, VMCB_GPA(i))[0x70 / 8]);
				else
					fprintf(stderr, "dirtyvm: vm %u vCPU %u: KVM_RUN: %s\n",
						vm->index, i, strerror(-err));
			}
		}
		if (v->run_now && v->pass_end > end)
			end = v->pass_end;
	}
	pthread_mutex_unlock(&vm->lock);
	*secs = end - start;
	return err;
}

int dvm_vm_pass(struct dvm_vm *vm, unsigned int write_pct, double *secs)
{
	return run_pass(vm, -1, write_pct, vm->region_size / DVM_PAGE_SIZE, secs);
}

int dvm_vm_warmup(struct dvm_vm *vm)
{
	unsigned int i;
	double secs;
	int err = 0;

	/* One vCPU after the other, touching no data: the code and parameter
	 * pages are faulted in exactly once (by vCPU 0), never concurrently. */
	for (i = 0; i < vm->nvcpus && !err; i++)
		err = run_pass(vm, (int)i, 0, 0, &secs);
	return err;
}

int dvm_vm_set_dirty_logging(struct dvm_vm *vm, bool on)
{
	int err = set_memslot(vm, DVM_DATA_SLOT, DVM_DATA_GPA, vm->data_size, vm->data,
			      on ? KVM_MEM_LOG_DIRTY_PAGES : 0);

	if (err)
		fprintf(stderr, "dirtyvm: %s dirty logging: %s\n", on ? "enabling" : "disabling",
			strerror(-err));
	return err;
}

int dvm_vm_get_dirty_log(struct dvm_vm *vm, uint64_t *bitmap)
{
	struct kvm_dirty_log log = { .slot = DVM_DATA_SLOT, .dirty_bitmap = bitmap };

	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log)) {
		int err = -errno;

		fprintf(stderr, "dirtyvm: KVM_GET_DIRTY_LOG: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

/* One vCPU's ring: each entry KVM published (flags DIRTY, read with
 * acquire) is a page of the data slot, handed back with RESET (release). */
static void harvest_ring(struct dvm_vm *vm, struct dvm_vcpu *v, uint64_t *bitmap)
{
	uint64_t npages = vm->data_size / DVM_PAGE_SIZE;

	for (;;) {
		struct kvm_dirty_gfn *e = &v->ring[v->ring_next & (vm->ring_entries - 1)];

		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot == DVM_DATA_SLOT && e->offset < npages)
			bitmap[e->offset / 64] |= 1ULL << (e->offset % 64);
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		v->ring_next++;
	}
}

int dvm_vm_harvest_rings(struct dvm_vm *vm, uint64_t *bitmap)
{
	unsigned int i;

	for (i = 0; i < vm->nvcpus; i++)
		harvest_ring(vm, &vm->vcpus[i], bitmap);
	if (ioctl(vm->fd, KVM_RESET_DIRTY_RINGS, 0) < 0) {
		int err = -errno;

		fprintf(stderr, "dirtyvm: KVM_RESET_DIRTY_RINGS: %s\n", strerror(errno));
		return err;
	}
	return 0;
}

int dvm_vm_clear_dirty_log(struct dvm_vm *vm, uint64_t *bitmap, uint64_t chunk_pages)
{
	uint64_t npages = vm->data_size / DVM_PAGE_SIZE, first;

	/* KVM wants first_page and num_pages in multiples of 64 (bitmap words). */
	for (first = 0; first < npages; first += chunk_pages) {
		struct kvm_clear_dirty_log c = {
			.slot = DVM_DATA_SLOT,
			.first_page = first,
			.num_pages = (uint32_t)(npages - first < chunk_pages ? npages - first : chunk_pages),
			.dirty_bitmap = bitmap + first / 64,
		};

		if (ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &c)) {
			int err = -errno;

			fprintf(stderr, "dirtyvm: KVM_CLEAR_DIRTY_LOG: %s\n", strerror(errno));
			return err;
		}
	}
	return 0;
}

int dvm_vm_page_stats(struct dvm_vm *vm, uint64_t pages[3])
{
	static const char *const names[] = { "pages_4k", "pages_2m", "pages_1g" };
	int err = kvm_stats_read(vm->stats_fd, names, pages, 3);

	if (err)
		fprintf(stderr, "dirtyvm: reading KVM statistics: %s\n", strerror(-err));
	return err;
}

int dvm_vm_fault_stats(struct dvm_vm *vm, uint64_t stats[DVM_FAULT_STATS])
{
	unsigned int i, k;

	for (k = 0; k < DVM_FAULT_STATS; k++) {
		stats[k] = 0;
		for (i = 0; i < vm->nvcpus && stats[k] != DVM_STAT_MISSING; i++) {
			uint64_t v;
			int err = kvm_stats_read(vm->vcpus[i].stats_fd, &dvm_fault_stat_names[k], &v, 1);

			if (err == -ENOENT) {
				stats[k] = DVM_STAT_MISSING;
			} else if (err) {
				fprintf(stderr, "dirtyvm: reading vCPU %u statistics: %s\n", i, strerror(-err));
				return err;
			} else {
				stats[k] += v;
			}
		}
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * dirtyvm's guest on x86 (vm_arch.h): 64-bit code at CPL 3 under the
 * guest's own identity page tables, and --nested's SVM L1 with its VMCBs
 * and nested page tables.
 */
#include "vm_arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

extern const unsigned char guest_code_start[], guest_code_end[];
extern const unsigned char guest_nested_start[], guest_nested_end[], guest_l2_entry[];

/* The guest's page tables, after its code and parameters (vm_arch.h). */
#define PML4_GPA	0x10000ULL
#define PDPT_GPA	0x11000ULL
#define PD_SYS_GPA	0x12000ULL	/* GPA 0..1 GiB */
#define PD_MMIO_GPA	0x13000ULL	/* GPA 3..4 GiB */
#define PD_DATA_GPA	0x14000ULL	/* GPA 4 GiB.., one page per GiB */
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

/* Identity tables from pml4_gpa on: the system memory, the MMIO page's
 * 2 MiB and the data, with 2 MiB entries (1 GiB ones for the data where
 * use_1g).  The guest's own page tables, and (--nested) L1's nested ones. */
static void build_tables(struct dvm_vm *vm, uint64_t pml4_gpa, uint64_t pdpt_gpa, uint64_t pd_sys_gpa,
			 uint64_t pd_mmio_gpa, uint64_t pd_data_gpa, bool use_1g)
{
	uint64_t *pml4 = dvm_sys_ptr(vm, pml4_gpa);
	uint64_t *pdpt = dvm_sys_ptr(vm, pdpt_gpa);
	uint64_t *pd_sys = dvm_sys_ptr(vm, pd_sys_gpa);
	uint64_t *pd_mmio = dvm_sys_ptr(vm, pd_mmio_gpa);
	uint64_t gib, off;

	pml4[0] = pdpt_gpa | PTE_TABLE;
	pdpt[0] = pd_sys_gpa | PTE_TABLE;
	pdpt[3] = pd_mmio_gpa | PTE_TABLE;
	for (off = 0; off < SYS_SIZE; off += DVM_HUGE_SIZE)
		pd_sys[off / DVM_HUGE_SIZE] = off | PTE_2M;
	pd_mmio[511] = (MMIO_GPA & ~(DVM_HUGE_SIZE - 1)) | PTE_2M;

	for (gib = 0; gib * DVM_GIB < vm->data_size; gib++) {
		uint64_t pd_gpa = pd_data_gpa + gib * DVM_PAGE_SIZE;
		uint64_t *pd = dvm_sys_ptr(vm, pd_gpa);
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
	uint8_t *vmcb = (uint8_t *)dvm_sys_ptr(vm, VMCB_GPA(i));
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

uint64_t dvm_arch_max_data_gib(const struct dvm_vm *vm)
{
	return vm->nested ? MAX_NESTED_DATA_GIB : MAX_DATA_GIB;
}

bool dvm_eager_per_vm(void)
{
	return false;
}

/* x86 needs nothing before the memslots: eager splitting is KVM's module
 * parameter there (host_params.c). */
int dvm_arch_vm_setup(struct dvm_vm *vm)
{
	(void)vm;
	return 0;
}

void dvm_arch_load_guest(struct dvm_vm *vm)
{
	if (vm->nested)
		memcpy(dvm_sys_ptr(vm, CODE_GPA), guest_nested_start, guest_nested_end - guest_nested_start);
	else
		memcpy(dvm_sys_ptr(vm, CODE_GPA), guest_code_start, guest_code_end - guest_code_start);
	vm->guest_1g = vm->backing == BACKING_HUGETLB1G && dvm_kvm_has_1g_pages(vm->kvm_fd);
	build_page_tables(vm);
}

int dvm_arch_vcpu_setup(struct dvm_vm *vm, struct dvm_vcpu *v)
{
	int err = setup_cpuid(vm, v->fd);

	return err ? err : setup_vcpu_regs(vm, v);
}

uint64_t dvm_arch_nested_exit_code(struct dvm_vm *vm, unsigned int vcpu)
{
	return dvm_sys_ptr(vm, VMCB_GPA(vcpu))[0x70 / 8];
}

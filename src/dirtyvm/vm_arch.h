/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What dirtyvm's VM does differently on each of KVM's arches: the guest's
 * code and tables in the system memslot, the vCPUs' set-up, and what a VM
 * needs before its first memslot.  vm_x86.c and vm_arm64.c (one is built,
 * by the Makefile's ARCH); vm.c holds the rest.
 */
#ifndef DIRTYVM_VM_ARCH_H
#define DIRTYVM_VM_ARCH_H

#include <stdint.h>

#include "vm.h"

/*
 * Guest-physical layout of the system memslot (slot 0), on every arch.  The
 * data memslot starts at 4 GiB (DVM_DATA_GPA) so that every vCPU region is
 * 2 MiB aligned in both the guest and the host, which is what lets KVM map
 * it with 2 MiB pages.
 */
#define SYS_SLOT	0
#define SYS_SIZE	(4ULL << 20)
#define CODE_GPA	0x1000ULL
#define PARAM_GPA	0x2000ULL	/* 64 bytes per vCPU */
#define MMIO_GPA	0xfffff000ULL	/* in no memslot: writes exit to us */

/* The host address of guest-physical gpa in the system memslot. */
uint64_t *dvm_sys_ptr(struct dvm_vm *vm, uint64_t gpa);

/* The most guest data, in GiB, this VM's guest can address. */
uint64_t dvm_arch_max_data_gib(const struct dvm_vm *vm);
/* Between KVM_CREATE_VM and the first memslot: 0 or a negative errno
 * (printed). */
int dvm_arch_vm_setup(struct dvm_vm *vm);
/* The guest's code (and page tables) into the system memory. */
void dvm_arch_load_guest(struct dvm_vm *vm);
/* vCPU v's registers (and CPU model): 0 or a negative errno. */
int dvm_arch_vcpu_setup(struct dvm_vm *vm, struct dvm_vcpu *v);
/* --nested: the exit code L2 last left L1 with (x86's VMCB), for a message. */
uint64_t dvm_arch_nested_exit_code(struct dvm_vm *vm, unsigned int vcpu);

#endif

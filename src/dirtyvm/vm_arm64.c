// SPDX-License-Identifier: GPL-2.0-only
/*
 * dirtyvm's guest on arm64 (vm_arch.h): guest_arm64.S at EL1 with the MMU
 * off (no tables: its addresses are guest-physical, and each fault is
 * KVM's stage-2 one), on the vCPU model KVM prefers.  Eager splitting is
 * the VM's: KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE before its first memslot.
 *
 * With the MMU off the guest's accesses are Device (stores) and
 * non-cacheable (fetches) at stage 1; KVM's stage 2 forces them write-back
 * where the CPU has FEAT_S2FWB (which -cpu max and current servers have),
 * else cleans the caches as it maps each page: the VMM's writes of the
 * parameters are seen either way.
 */
#include "vm_arch.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#ifndef KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE
#define KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE 228	/* Linux 6.5 */
#endif

extern const unsigned char guest_code_start[], guest_code_end[];

#define CORE_REG(field)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 (offsetof(struct kvm_regs, field) / sizeof(__u32)))

bool dvm_eager_per_vm(void)
{
	return true;
}

/* The data starts at 4 GiB; KVM's default IPA space on arm64 is 40 bits. */
uint64_t dvm_arch_max_data_gib(const struct dvm_vm *vm)
{
	(void)vm;
	return 512;
}

int dvm_arch_vm_setup(struct dvm_vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE,
		.args[0] = vm->eager_split ? DVM_HUGE_SIZE : 0,
	};

	if (!vm->eager_split)
		return 0;	/* KVM's default: no eager splitting */
	if (ioctl(vm->fd, KVM_ENABLE_CAP, &cap)) {
		int err = -errno;

		fprintf(stderr, "dirtyvm: KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE of 2 MiB: %s%s\n", strerror(errno),
			errno == EINVAL ? " (KVM before 6.5 has no eager splitting on arm64)" : "");
		return err;
	}
	return 0;
}

void dvm_arch_load_guest(struct dvm_vm *vm)
{
	memcpy(dvm_sys_ptr(vm, CODE_GPA), guest_code_start, guest_code_end - guest_code_start);
	vm->guest_1g = false;
}

static int set_reg(int fd, uint64_t id, uint64_t val)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(fd, KVM_SET_ONE_REG, &r) ? -errno : 0;
}

int dvm_arch_vcpu_setup(struct dvm_vm *vm, struct dvm_vcpu *v)
{
	struct kvm_vcpu_init init;
	int err;

	memset(&init, 0, sizeof(init));
	if (ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &init) || ioctl(v->fd, KVM_ARM_VCPU_INIT, &init))
		return -errno;
	/* KVM_ARM_VCPU_INIT leaves the vCPU at EL1h, interrupts masked. */
	err = set_reg(v->fd, CORE_REG(regs.pc), CODE_GPA);
	if (!err)
		err = set_reg(v->fd, CORE_REG(regs.regs[0]), DVM_DATA_GPA + (uint64_t)v->id * vm->region_size);
	if (!err)
		err = set_reg(v->fd, CORE_REG(regs.regs[1]), MMIO_GPA);
	if (!err)
		err = set_reg(v->fd, CORE_REG(regs.regs[2]), PARAM_GPA + 64ULL * v->id);
	if (!err)
		err = set_reg(v->fd, CORE_REG(regs.regs[3]), 100);
	return err;
}

uint64_t dvm_arch_nested_exit_code(struct dvm_vm *vm, unsigned int vcpu)
{
	(void)vm;
	(void)vcpu;
	return 0;	/* no --nested on arm64 */
}

/* 1 GiB blocks exist with 4 KiB pages; the guest maps nothing itself. */
bool dvm_kvm_has_1g_pages(int kvm_fd)
{
	(void)kvm_fd;
	return false;
}

bool dvm_kvm_has_nested_svm(int kvm_fd)
{
	(void)kvm_fd;
	return false;
}

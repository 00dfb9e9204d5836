/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest of the real-QEMU migration tests: a multiboot (v1) kernel that
 * QEMU's -kernel loads and starts in 32-bit protected mode, paging off.  It
 * writes one byte in every 4 KiB page of 96 MiB from 16 MiB up, forever, with
 * no I/O: its vCPU never leaves KVM_RUN, like a busy guest under migration.
 */
	.section .text
	.code32
	.align 4
multiboot:
	.long 0x1BADB002		/* magic */
	.long 0				/* flags: nothing asked of the loader */
	.long -0x1BADB002		/* checksum: the three add up to 0 */

	.globl _start
_start:
1:	movl $0x01000000, %eax		/* 16 MiB */
2:	incb (%eax)
	addl $4096, %eax
	cmpl $0x07000000, %eax		/* 16 MiB + 96 MiB */
	jb 2b
	jmp 1b

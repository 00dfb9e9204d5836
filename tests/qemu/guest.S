/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest of the real-QEMU migration tests: a multiboot (v1) kernel that
 * QEMU's -kernel loads and starts in 32-bit protected mode, paging off.  It
 * writes one byte in every 4 KiB page of 96 MiB from BASE (16 MiB) up,
 * forever, with no I/O: its vCPU never leaves KVM_RUN, like a busy guest
 * under migration.  The 1 GiB tests assemble it with BASE = 1 GiB (--defsym),
 * inside a GiB that KVM can map with one 1 GiB page.
 */
	.ifndef BASE
	.set BASE, 0x01000000
	.endif
	.section .text
	.code32
	.align 4
multiboot:
	.long 0x1BADB002		/* magic */
	.long 0				/* flags: nothing asked of the loader */
	.long -0x1BADB002		/* checksum: the three add up to 0 */

	.globl _start
_start:
1:	movl $BASE, %eax
2:	incb (%eax)
	addl $4096, %eax
	cmpl $(BASE + 0x06000000), %eax	/* BASE + 96 MiB */
	jb 2b
	jmp 1b

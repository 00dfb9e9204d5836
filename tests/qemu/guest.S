/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest of the real-QEMU migration tests: a PVH (and multiboot v1)
 * kernel that QEMU's -kernel loads and starts in 32-bit protected mode,
 * paging off: on the microvm machine its PVH entry is jumped to by qboot,
 * with no BIOS in between (tests/qemu/migrate.sh says why).  It
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

	/* XEN_ELFNOTE_PHYS32_ENTRY (18): where a PVH boot starts it. */
	.pushsection .note.Xen, "a", @note
	.align 4
	.long 4, 4, 18		/* name size, descriptor size, type */
	.asciz "Xen"
	.align 4
	.long _start
	.popsection

	.globl _start
_start:
1:	movl $BASE, %eax
2:	incb (%eax)
	addl $4096, %eax
	cmpl $(BASE + 0x06000000), %eax	/* BASE + 96 MiB */
	jb 2b
	jmp 1b

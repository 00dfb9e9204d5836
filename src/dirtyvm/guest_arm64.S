/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest on arm64: the x86 guest's pass (guest.S), at EL1 with its MMU
 * off, so that guest-physical addresses are its addresses and every fault
 * is a stage-2 one, KVM's.
 *
 * Registers on entry, set once by the VMM (vm_arm64.c):
 *   x0  guest-physical base of this vCPU's region
 *   x1  an address outside every memslot: a write there exits to the VMM
 *   x2  this vCPU's parameter block, written by the VMM between passes:
 *       quad 0 the write percentage of the next pass, quad 1 the number of
 *       4 KiB pages it touches (0 for a warm-up pass)
 *   x3  100 (divisor for the write pattern)
 *
 * One pass touches every page once, in order: page i is written when
 * (i % 100) < pct, read otherwise; then the guest writes to x1
 * (KVM_EXIT_MMIO) and, entered again, starts the next pass.
 */
	.text
	.globl	guest_code_start, guest_code_end
	.balign	4
guest_code_start:
1:	ldr	x9, [x2]		/* write percentage of this pass */
	ldr	x10, [x2, #8]		/* pages in this pass */
	mov	x11, #0
2:	cmp	x11, x10
	b.hs	4f
	udiv	x12, x11, x3
	msub	x12, x12, x3, x11	/* x12 = i % 100 */
	add	x13, x0, x11, lsl #12
	cmp	x12, x9
	b.hs	3f
	str	x11, [x13]
	add	x11, x11, #1
	b	2b
3:	ldr	x12, [x13]
	add	x11, x11, #1
	b	2b
4:	str	x11, [x1]		/* KVM_EXIT_MMIO: pass done */
	b	1b
guest_code_end:
	.section .note.GNU-stack,"",@progbits

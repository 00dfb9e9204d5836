/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest: 64-bit code run at CPL 3 (the only mode in which this
 * hypervisor takes real shadow page faults, see ENVIRONMENT.md).
 *
 * Registers on entry, set once by the VMM:
 *   rdi  guest-virtual base of this vCPU's region (identity mapped)
 *   r8   100 (divisor for the write pattern)
 *   r10  an address outside every memslot: a write there exits to the VMM
 *   r11  this vCPU's parameter block in guest memory, written by the VMM
 *        between passes: quad 0 is the write percentage of the next pass,
 *        quad 1 the number of 4 KiB pages it touches (0 for a warm-up pass)
 *
 * One pass touches every page once, in order: page i is written when
 * (i % 100) < pct, read otherwise.  The VMM computes the same pattern to know
 * exactly which pages a pass dirties.  After the pass the guest writes to r10
 * and waits there (KVM_EXIT_MMIO) until the VMM re-enters it for the next pass.
 */
	.text
	.code64
	.globl	guest_code_start, guest_code_end
guest_code_start:
pass:
	movq	(%r11), %r9		/* write percentage of this pass */
	movq	8(%r11), %rsi		/* pages in this pass */
	xorl	%ecx, %ecx
page:
	cmpq	%rsi, %rcx
	jae	done
	movq	%rcx, %rax
	xorl	%edx, %edx
	divq	%r8			/* rdx = i % 100 */
	movq	%rcx, %rax
	shlq	$12, %rax
	addq	%rdi, %rax
	cmpq	%r9, %rdx
	jae	read
	movq	%rcx, (%rax)
	incq	%rcx
	jmp	page
read:
	movq	(%rax), %rdx
	incq	%rcx
	jmp	page
done:
	movq	%rcx, (%r10)		/* KVM_EXIT_MMIO: pass done */
	jmp	pass
guest_code_end:
	.section .note.GNU-stack,"",@progbits

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

/* One pass over the region; \end is how the pass says it is done. */
.macro	PASS_LOOP end
1:	movq	(%r11), %r9		/* write percentage of this pass */
	movq	8(%r11), %rsi		/* pages in this pass */
	xorl	%ecx, %ecx
2:	cmpq	%rsi, %rcx
	jae	4f
	movq	%rcx, %rax
	xorl	%edx, %edx
	divq	%r8			/* rdx = i % 100 */
	movq	%rcx, %rax
	shlq	$12, %rax
	addq	%rdi, %rax
	cmpq	%r9, %rdx
	jae	3f
	movq	%rcx, (%rax)
	incq	%rcx
	jmp	2b
3:	movq	(%rax), %rdx
	incq	%rcx
	jmp	2b
4:	\end
	jmp	1b
.endm

	.globl	guest_code_start, guest_code_end
guest_code_start:
	PASS_LOOP "movq %rcx, (%r10)"	/* KVM_EXIT_MMIO: pass done */
guest_code_end:

/*
 * dirtyvm --nested: the guest is a minimal SVM hypervisor (L1, CPL 0) and
 * the pass runs in its own guest (L2).  The VMM sets EFER.SVME and
 * VM_HSAVE_PA, builds the VMCB (rax) and the nested page tables, and
 * points the VMCB's RIP at guest_l2_entry.  VMRUN switches only RAX, RSP
 * and RIP (and flags, segments, control registers): L2 finds rdi, r8, r10
 * and r11 as L1 left them.  L2 ends each pass with VMMCALL; L1 checks the
 * exit code, steps L2 past the VMMCALL and tells the VMM the pass is done
 * with the same MMIO write.  Any other exit: a write 8 bytes further on,
 * and the VMM reads the exit code from the VMCB.
 */
	.globl	guest_nested_start, guest_nested_end, guest_l2_entry
guest_nested_start:
1:	vmrun
	cmpq	$0x81, 0x70(%rax)	/* EXITCODE: VMEXIT_VMMCALL */
	jne	2f
	addq	$3, 0x578(%rax)		/* save.rip: past L2's vmmcall */
	movq	%rcx, (%r10)		/* KVM_EXIT_MMIO: pass done */
	jmp	1b
2:	movq	%rcx, 8(%r10)		/* KVM_EXIT_MMIO: L2 stopped for another reason */
	jmp	2b
guest_l2_entry:
	PASS_LOOP "vmmcall"
guest_nested_end:
	.section .note.GNU-stack,"",@progbits

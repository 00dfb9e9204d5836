/* SPDX-License-Identifier: GPL-2.0-only */
/* The host a run watches (or a recording was made on): its kernel and the
 * MMU its KVM runs, read once at start. */
#ifndef SPLITTOP_HOST_H
#define SPLITTOP_HOST_H

/* arm64: KVM's stage-2 tables, one MMU; eager splitting the VMM's choice
 * per VM (KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE), no module parameter. */
enum host_mmu { HOST_MMU_UNKNOWN, HOST_MMU_TDP, HOST_MMU_LEGACY_TDP, HOST_MMU_SHADOW, HOST_MMU_ARM64, NR_HOST_MMUS };

/* "unknown", "tdp", "legacy-tdp", "shadow": as printed and recorded. */
const char *host_mmu_name(enum host_mmu m);
/* The MMU so named; HOST_MMU_UNKNOWN for any other name. */
enum host_mmu host_mmu_by_name(const char *name);

struct host_info {
	char hostname[65];	/* "": unknown (recordings before it, SPLITTOP_RECORD's) */
	char kernel[65];
	enum host_mmu mmu;
	char eager_split[8];	/* "Y", "N", "unknown", or "per-vm" (arm64: the VMM's) */
};

#endif

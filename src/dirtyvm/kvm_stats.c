// SPDX-License-Identifier: GPL-2.0-only
#include "kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const dvm_fault_stat_names[DVM_FAULT_STATS] = {
	[DVM_PF_TAKEN] = "pf_taken",
	[DVM_PF_FIXED] = "pf_fixed",
	[DVM_PF_SPURIOUS] = "pf_spurious",
	[DVM_PF_FAST] = "pf_fast",
	[DVM_PF_EMULATE] = "pf_emulate",
	[DVM_PF_MMIO_SPTE_CREATED] = "pf_mmio_spte_created",
	[DVM_MMIO_EXIT_USER] = "mmio_exit_user",
};

/* The layout is self-describing (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD"):
 * a header, then descriptors of sizeof(desc) + name_size bytes, then the data. */
int kvm_stats_read(int stats_fd, const char *const *names, uint64_t *values, unsigned int n)
{
	struct kvm_stats_header hdr;
	size_t desc_size, i;
	char *descs = NULL;
	unsigned int found = 0, k;
	int err = 0;

	if (pread(stats_fd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		return -errno ? -errno : -EIO;
	desc_size = sizeof(struct kvm_stats_desc) + hdr.name_size;
	descs = calloc(hdr.num_desc, desc_size);
	if (!descs)
		return -ENOMEM;
	if (pread(stats_fd, descs, hdr.num_desc * desc_size, hdr.desc_offset) !=
	    (ssize_t)(hdr.num_desc * desc_size)) {
		err = -EIO;
		goto out;
	}
	for (i = 0; i < hdr.num_desc && found < n; i++) {
		struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * desc_size);

		for (k = 0; k < n; k++) {
			if (strncmp(d->name, names[k], hdr.name_size))
				continue;
			if (pread(stats_fd, &values[k], sizeof(uint64_t),
				  hdr.data_offset + d->offset) != sizeof(uint64_t)) {
				err = -EIO;
				goto out;
			}
			found++;
		}
	}
	if (found < n)
		err = -ENOENT;
out:
	free(descs);
	return err;
}

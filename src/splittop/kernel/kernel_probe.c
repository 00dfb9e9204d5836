// SPDX-License-Identifier: GPL-2.0-only
#include "kernel_probe.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

int kernel_btf_load(struct kernel_btf *k)
{
	k->vmlinux = btf__load_vmlinux_btf();
	if (!k->vmlinux)
		return -errno;
	k->kvm = NULL;
	if (!access("/sys/kernel/btf/kvm", R_OK))
		k->kvm = btf__load_module_btf("kvm", k->vmlinux);
	return 0;
}

void kernel_btf_free(struct kernel_btf *k)
{
	btf__free(k->kvm);
	btf__free(k->vmlinux);
	k->kvm = k->vmlinux = NULL;
}

static int find(const struct kernel_btf *k, const char *name, __u32 kind, const struct btf **in)
{
	int id = btf__find_by_name_kind(k->vmlinux, name, kind);

	*in = k->vmlinux;
	if (id < 0 && k->kvm) {
		id = btf__find_by_name_kind(k->kvm, name, kind);
		*in = k->kvm;
	}
	return id;
}

bool kernel_has_btf_tracepoint(const struct kernel_btf *k, const char *tp)
{
	const struct btf *in;
	char name[128];

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return find(k, name, BTF_KIND_TYPEDEF, &in) > 0;
}

/* Search one BTF (types from first_id on) for an enumerator called name. */
static bool enum_in(const struct btf *b, int first_id, const char *name, long *value)
{
	int id, n = (int)btf__type_cnt(b), i;

	for (id = first_id; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (i = 0; i < btf_vlen(t); i++, e++)
			if (!strcmp(btf__name_by_offset(b, e->name_off), name)) {
				*value = e->val;
				return true;
			}
	}
	return false;
}

bool kernel_enum_value(const struct kernel_btf *k, const char *name, long *value)
{
	/* KVM's own enums live in its module's BTF when KVM is a module. */
	if (k->kvm && enum_in(k->kvm, (int)btf__type_cnt(k->vmlinux), name, value))
		return true;
	return enum_in(k->vmlinux, 1, name, value);
}

bool kernel_has_btf_func(const struct kernel_btf *k, const char *fn)
{
	const struct btf *in;

	return find(k, fn, BTF_KIND_FUNC, &in) > 0;
}

/* The bit offset of member mname in struct or union t, looking into its
 * anonymous members too (x86's kvm_vm_stat keeps pages_4k in an anonymous
 * struct in an anonymous union), or -1. */
static long member_bits(const struct btf *in, const struct btf_type *t, const char *mname, int depth)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(in, m->name_off);
		const struct btf_type *mt;
		long off;

		if (name && !strcmp(name, mname))
			return btf_member_bit_offset(t, i);
		if ((name && name[0]) || depth >= 4)
			continue;
		mt = btf__type_by_id(in, m->type);
		while (mt && (btf_is_mod(mt) || btf_is_typedef(mt)))
			mt = btf__type_by_id(in, mt->type);
		if (mt && btf_is_composite(mt) && (off = member_bits(in, mt, mname, depth + 1)) >= 0)
			return btf_member_bit_offset(t, i) + off;
	}
	return -1;
}

long kernel_member_offset(const struct kernel_btf *k, const char *sname, const char *mname)
{
	const struct btf *in;
	int id = find(k, sname, BTF_KIND_STRUCT, &in);
	long bits;

	if (id <= 0)
		return -1;
	bits = member_bits(in, btf__type_by_id(in, id), mname, 0);
	return bits < 0 ? -1 : bits / 8;
}

bool kernel_has_member(const struct kernel_btf *k, const char *sname, const char *mname)
{
	return kernel_member_offset(k, sname, mname) >= 0;
}

static long read_id(const char *root, const char *tp)
{
	char path[256], buf[32];
	long id;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/events/%s/id", root, tp);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	id = strtol(buf, NULL, 10);
	return id > 0 ? id : -EIO;
}

/*
 * Where tracefs is mounted, from the mount table: probing a path instead
 * (access("/sys/kernel/debug/tracing/...")) would itself mount tracefs on
 * kernels that automount it under a mounted debugfs, and leave it there.
 */
static bool tracefs_mount(char *root, size_t len)
{
	struct mntent *m;
	bool found = false;
	FILE *f;

	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return false;
	while (!found && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "tracefs"))
			found = snprintf(root, len, "%s", m->mnt_dir) < (int)len;
	endmntent(f);
	return found;
}

long tracepoint_id(const char *tp)
{
	char root[256];
	long id;
	int pipefd[2], status;
	pid_t pid;

	if (tracefs_mount(root, sizeof(root)))
		return read_id(root, tp);
	/* Not mounted: look in a child with its own mount namespace. */
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -errno;
	}
	if (pid == 0) {
		id = -EOPNOTSUPP;
		if (!unshare(CLONE_NEWNS) && !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) &&
		    !mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL))
			id = read_id("/sys/kernel/tracing", tp);
		else
			id = -errno;
		if (write(pipefd[1], &id, sizeof(id)) != sizeof(id))
			_exit(1);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &id, sizeof(id)) != sizeof(id))
		id = -EIO;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return id;
}

bool kernel_has_kprobes(void)
{
	return !access("/sys/bus/event_source/devices/kprobe", F_OK);
}

static void read_param(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(out, len, "unknown");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

void host_info_read(struct host_info *h)
{
	struct utsname u;
	char tdp[8], ept[8], npt[8];
	bool hw_tdp;

	snprintf(h->kernel, sizeof(h->kernel), "%s", uname(&u) ? "unknown" : u.release);
	snprintf(h->hostname, sizeof(h->hostname), "%s", uname(&u) ? "" : u.nodename);
	read_param("/sys/module/kvm/parameters/tdp_mmu", tdp, sizeof(tdp));
	read_param("/sys/module/kvm_intel/parameters/ept", ept, sizeof(ept));
	read_param("/sys/module/kvm_amd/parameters/npt", npt, sizeof(npt));
	hw_tdp = ept[0] == 'Y' || npt[0] == 'Y' || npt[0] == '1';
	/* tdp_mmu=N with EPT/NPT on is KVM's older TDP code, not shadow paging. */
	if (tdp[0] == 'Y')
		h->mmu = HOST_MMU_TDP;
	else if (tdp[0] == 'N')
		h->mmu = hw_tdp ? HOST_MMU_LEGACY_TDP : HOST_MMU_SHADOW;
	else
		h->mmu = HOST_MMU_UNKNOWN;
	read_param("/sys/module/kvm/parameters/eager_page_split", h->eager_split, sizeof(h->eager_split));
#if defined(__aarch64__)
	h->mmu = HOST_MMU_ARM64;
	snprintf(h->eager_split, sizeof(h->eager_split), "per-vm");	/* the VMM's capability */
#endif
}

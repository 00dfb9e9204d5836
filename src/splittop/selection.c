// SPDX-License-Identifier: GPL-2.0-only
#include "selection.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The parent of pid, from /proc/PID/stat (its comm may hold spaces and
 * parentheses: the fields start after the last ')'); 0 if it is gone. */
static uint32_t parent_of(uint32_t pid)
{
	char path[32], buf[512], *p;
	unsigned int ppid = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %u", &ppid) != 1)
		return 0;
	return ppid;
}

bool pid_descends_from(uint32_t pid, uint32_t ancestor)
{
	unsigned int depth;

	for (depth = 0; pid > 1 && depth < 64; depth++) {
		if (pid == ancestor)
			return true;
		pid = parent_of(pid);
	}
	return pid == ancestor;
}

/* Decided once per VMM process, when its first VM is seen: later the
 * process (or its parent) may be gone from /proc. */
static bool of_command(const struct vm_selection *s, const struct vm_entry *e)
{
	struct selection_memo *m = s->memo;
	char path[32];
	unsigned int i;
	bool mine;

	if (e->pid == (uint32_t)s->command)
		return true;
	for (i = 0; i < m->n; i++)
		if (m->v[i].pid == e->pid)
			return m->v[i].mine;
	snprintf(path, sizeof(path), "/proc/%u", e->pid);
	if (!access(path, F_OK))
		mine = pid_descends_from(e->pid, s->command);
	else	/* the VMM is gone: its parent when it made the VM tells */
		mine = e->ppid && pid_descends_from(e->ppid, s->command);
	if (m->n < SELECTION_MEMO) {
		m->v[m->n].pid = e->pid;
		m->v[m->n++].mine = mine;
	}
	return mine;
}

bool selection_wants(const void *arg, const struct vm_entry *e)
{
	const struct vm_selection *s = arg;
	unsigned int i;

	if (s->vm_name && !vm_ident_matches(s->vm_name, e->name, &e->ident))
		return false;
	if (s->npids) {
		for (i = 0; i < s->npids && s->pids[i] != e->pid; i++)
			;
		if (i == s->npids)
			return false;
	} else if (s->command > 0) {
		if (!of_command(s, e))
			return false;
		s->memo->command_matched = true;
	}
	if (s->vm_name)
		s->memo->name_matched = true;
	return true;
}

/* Whether the process holds a KVM VM's file: 1, 0, or -errno when its
 * descriptors cannot be read. */
static int holds_vm(uint32_t pid)
{
	char path[64], link[64];
	struct dirent *d;
	int found = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%u/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while (!found && (d = readdir(dir))) {
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/%u/fd/%.16s", pid, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			found = !strcmp(link, "anon_inode:kvm-vm");
		}
	}
	closedir(dir);
	return found;
}

static void comm_of(uint32_t pid, char *out, size_t len)
{
	char path[32];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	out[0] = '\0';
	f = fopen(path, "re");
	if (f) {
		if (fgets(out, (int)len, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
	/* Anyone may name a process: nothing of it reaches a terminal raw. */
	for (; *out; out++)
		if ((unsigned char)*out < 0x20 || (unsigned char)*out >= 0x7f)
			*out = '?';
}

int selection_check_pids(const uint32_t *pids, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		char comm[32];
		int vm = holds_vm(pids[i]);

		if (vm == -ENOENT) {
			fprintf(stderr, "splittop: -p %u: no such process\n", pids[i]);
			return 2;
		}
		if (vm == 0) {
			comm_of(pids[i], comm, sizeof(comm));
			fprintf(stderr, "splittop: -p %u (%s): no KVM VM in this process\n", pids[i], comm);
			return 2;
		}
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* The census: KVM's files in every task (or one process's), by the BPF
 * iterator census: the VMs that exist and the threads of their vCPUs. */
#include "census.h"
#include "splittop.skel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int census_add(struct census *c, const struct vm_census *r)
{
	unsigned int i;

	for (i = 0; i < c->n; i++)	/* threads share files: one record per VM */
		if (c->recs[i].kvm == r->kvm)
			return 0;
	if (c->n == c->cap) {
		unsigned int cap = c->cap ? c->cap * 2 : 16;
		void *p = realloc(c->recs, cap * sizeof(*r));

		if (!p)
			return -ENOMEM;
		c->recs = p;
		c->cap = cap;
	}
	c->recs[c->n++] = *r;
	return 0;
}

/* Run the task_file iterator over one process (pid > 0) or all of them. */
int census_run(struct tracer *t, uint32_t pid, struct census *c)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = {};
	struct bpf_link *link;
	struct vm_census rec;
	size_t have = 0;
	int fd, err = 0;
	ssize_t n;

	if (pid) {
		linfo.task.pid = pid;
		opts.link_info = &linfo;
		opts.link_info_len = sizeof(linfo);
	}
	link = bpf_program__attach_iter(t->skel->progs.census, &opts);
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	for (;;) {
		n = read(fd, (char *)&rec + have, sizeof(rec) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				err = -errno;
			break;
		}
		have += n;
		if (have == sizeof(rec)) {
			err = census_add(c, &rec);
			if (err)
				break;
			have = 0;
		}
	}
	close(fd);
out:
	bpf_link__destroy(link);
	return err;
}

/* Before faults are counted: a census registers the VMs that already run and
 * tells BPF which thread runs each of their vCPUs, so that a vCPU already in
 * the guest is counted from its first fault (there is no KVM_RUN to see). */
void adopt_running_vcpus(struct tracer *t)
{
	struct census c = { 0 };
	int err = census_run(t, 0, &c);

	if (err)
		fprintf(stderr, "splittop: the first VM census: %s (running vCPUs are counted from their next KVM_RUN)\n",
			strerror(-err));
	free(c.recs);
}

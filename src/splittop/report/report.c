// SPDX-License-Identifier: GPL-2.0-only
#include "report.h"
#include "report_doc.h"
#include "report_read.h"
#include "report_vm.h"
#include "common/text.h"
#include "splittop/model/converge.h"
#include "splittop/replay/recording_time.h"

#include <errno.h>
#include <string.h>

/* What was recorded where, and what the verdicts are judged by. */
static void header(struct doc *d, const struct report_rec *rec, uint64_t downtime_ns)
{
	char path[256], when[32];

	/* The path as the user typed it, but printable. */
	text_sanitize(path, sizeof(path), rec->path);
	doc_heading(d, 1, "splittop report: %s", path);
	doc_line(d, "Host %s, kernel %s, %s MMU, eager_page_split %s", rec->host.hostname[0] ? rec->host.hostname :
		 "(not recorded)", rec->host.kernel, host_mmu_name(rec->host.mmu), rec->host.eager_split);
	rec_fmt_clock(when, sizeof(when), rec->start_unix);
	if (rec->lines > 1)
		doc_line(d, "Recorded from %s for %.1f s, a line every %g s; %s", when, rec->end_s, rec->interval,
			 rec->total_line ? "the run's totals written at its end" :
			 "no total line (the run did not end, or the file was cut)");
	doc_line(d, "Verdicts against a downtime budget of %.0f ms (--downtime)", downtime_ns / 1e6);
}

/* -p/--vm that matched nothing: said, exit 1. */
static int none_selected(const struct report_opts *o)
{
	if (o->vm_name)
		fprintf(stderr, "splittop: report %s: --vm '%s' matched no VM\n", o->path, o->vm_name);
	else
		fprintf(stderr, "splittop: report %s: -p matched no VM of the recording\n", o->path);
	return 1;
}

static int write_report(const struct report_opts *o, const struct report_rec *rec)
{
	uint64_t downtime = o->downtime_ns ? o->downtime_ns : CONV_DOWNTIME_DEFAULT_NS;
	struct doc d = { .out = o->out, .markdown = o->markdown };
	unsigned int i;
	int err = 0;

	header(&d, rec, downtime);
	if (!rec->nvm && !o->vm_name && !o->npids)
		doc_line(&d, "No VM in the recording");
	for (i = 0; !err && i < rec->nvm; i++)
		err = report_vm(&d, rec, &rec->vm[i], downtime, o->evaluate);
	if (!err && d.nomem)
		err = -ENOMEM;
	if (err) {
		fprintf(stderr, "splittop: report %s: %s\n", o->path, strerror(-err));
		return 1;
	}
	if (fflush(o->out) || ferror(o->out)) {
		fprintf(stderr, "splittop: writing output: %s\n", strerror(errno));
		return 1;
	}
	return !rec->nvm && (o->vm_name || o->npids) ? none_selected(o) : 0;
}

int report_run(const struct report_opts *o)
{
	struct report_rec rec = { .path = o->path, .pids = o->pids, .npids = o->npids, .vm_name = o->vm_name };
	int rc = report_read(&rec);

	if (!rc)
		rc = write_report(o, &rec);
	report_free(&rec);
	return rc;
}

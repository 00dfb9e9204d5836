/* SPDX-License-Identifier: GPL-2.0-only */
/* splittop's command line: parsed into struct options, or a usage error.
 * Kept apart from main so that it can be fuzzed on its own. */
#ifndef SPLITTOP_OPTIONS_H
#define SPLITTOP_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "splittop/http/listen_addr.h"
#include "splittop/replay/replay.h"
#include "splittop/kernel/tracer.h"

#define MAX_PIDS 64

struct options {
	double interval, duration;
	uint64_t count;
	uint32_t pids[MAX_PIDS];
	unsigned int npids;
	const char *vm_name;
	const char *output;
	struct listen_addr listen;	/* --listen, if listening */
	bool listening;
	const char *web_config;		/* --web-config FILE */
	const char *textfile;		/* --textfile DIR */
	const char *replay;		/* --replay FILE */
	const char *report;		/* report FILE */
	bool markdown;			/* --markdown (with report) */
	struct when begin, end;		/* --begin, --end (with --replay) */
	unsigned int max_vms;
	unsigned int max_vcpus;
	unsigned int wait_sample;	/* --wait-sample */
	uint32_t downtime_ms;		/* --downtime */
	bool downtime_set;		/* given: report re-evaluates findings with it */
	bool verbose, json, csv, list_sources, raw_tracepoints, no_color, exact_waits;
	bool all;		/* -a: every VM, also with a COMMAND */
	enum source_kind force[NR_METRICS];	/* --source METRIC=KIND; SK_UNSET: not given */
	const char *force_tp[NR_METRICS];	/* --source METRIC=EVENT: that source; NULL: not given */
	char **command;		/* after "--" */
	char selection[160];	/* -p/--vm as text, for the live view's header */
};

/* 0: run, 1: help printed, -1: usage error printed (one line on stderr).
 * "report FILE" (the first operand, not after "--") with options before,
 * between and after them is the report subcommand (o->report).
 * May be called again: it resets getopt. */
int options_parse(int argc, char **argv, struct options *o);
/* -p and --vm as text, for the live view's header. */
void options_describe_selection(struct options *o);

#endif

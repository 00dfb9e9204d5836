/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The sources of each metric, best first.  A tp_btf source needs the
 * kernel's BTF for the tracepoint; a raw_tp source only the tracepoint.
 * Each metric's programs are all attached or none.
 */
#ifndef SPLITTOP_SOURCE_CHOICE_H
#define SPLITTOP_SOURCE_CHOICE_H

#include <stdbool.h>

#include "source_kind.h"
#include "tracer.h"

struct bpf_program;
struct kernel_btf;

struct source_choice {
	enum source_kind kind;
	/* tracepoints or functions, NULL-terminated unless all are used */
	const char *tp[SOURCE_MAX_TPS];
	struct bpf_program **(*progs)(struct splittop_bpf *s, unsigned int i);
	/* Offered on a host with this MMU only (enum host_mmu; 0: any): the
	 * guest walk fires for shadow paging's faults alone, and what tells a
	 * TDP MMU's huge mappings is its own. */
	int mmu;
	/* A fault source that sees every fault, those a fast path fixes too
	 * (arm64's abort handler): fast_faults has none of its own then. */
	bool all_faults;
	/* arm64 KVM's events: looked for by an arm64 build alone (an x86 one
	 * would only find them missing, and say so in place of x86's reason). */
	bool arm64;
};

#define MAX_CHOICES 6
/* choices[m]: metric m's sources, best first (kind SK_UNSET: none to choose from). */
extern const struct source_choice choices[][MAX_CHOICES];
extern const char *const metric_names[NR_METRICS];
/* Metrics whose programs would run inside locked sections on every event
 * (docs/sources.md, "Where each event runs"): on only when --source names
 * a kind for them; the entry says why (NULL: on by default). */
extern const char *const metric_opt_in[NR_METRICS];

/* Whether some source of metric m has name as its first event (a source can
 * be asked for by it, where two share a kind). */
bool source_named(enum metric m, const char *name);
/* Metric m's source on this kernel: the first it offers (prefer_raw: a raw
 * tracepoint where there is one; force: that kind only, SK_UNSET any;
 * force_tp: the source whose first event is this, NULL any; probes: whether
 * function probes may be tried, probes_why the reason when not).  Its
 * programs are set to load; t->sources[m] says which, or why none. */
const struct source_choice *source_choose(struct tracer *t, const struct kernel_btf *k, enum metric m,
					  bool prefer_raw, enum source_kind force, const char *force_tp, bool probes,
					  const char *probes_why);
/* Metric m does not come from c after all: its programs are not loaded. */
void source_unuse(struct tracer *t, enum metric m, const struct source_choice *c);
/* Attach the loaded programs of c: 0, or a negative errno with the reason
 * in t->sources[m].why. */
int source_attach(struct tracer *t, enum metric m, const struct source_choice *c);

#endif

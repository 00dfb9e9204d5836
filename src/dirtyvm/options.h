/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef DIRTYVM_OPTIONS_H
#define DIRTYVM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vm.h"

#define DVM_MAX_VMS		64
#define DVM_MAX_MEM		(64ULL << 30)	/* per vCPU */
#define DVM_MAX_ROUNDS		1000000
#define DVM_MAX_PASSES		1000
#define DVM_MAX_MIGRATIONS	1000

enum dvm_mode { MODE_GET, MODE_CLEAR, MODE_RING };
enum dvm_eager { EAGER_UNCHANGED, EAGER_ON, EAGER_OFF };

struct dvm_options {
	unsigned int vcpus;
	uint64_t mem;		/* per vCPU, bytes */
	enum dvm_backing backing;
	unsigned int writes_pct;
	unsigned int passes;
	unsigned int rounds;
	enum dvm_mode mode;
	enum dvm_eager eager;
	unsigned int migrations;	/* per cycle; 0: populate only (a destination VM) */
	int cancel_after;	/* rounds of the first migration, or -1: all */
	bool after_pass;	/* a pass over all memory after each migration */
	bool loop;
	const char *name;
	unsigned int vms;
	bool json;
	bool nested;	/* the pass runs in an L2 guest (AMD SVM, nested paging) */
};

enum { OPTS_OK = 0, OPTS_HELP = 1, OPTS_ERROR = -1 };

/* Parses argv into o.  Prints usage to out for --help (OPTS_HELP), or one
 * line to err for a bad argument (OPTS_ERROR).  No other side effects. */
int dvm_parse_options(int argc, char **argv, struct dvm_options *o, FILE *out, FILE *err);
const char *dvm_backing_name(enum dvm_backing b);
const char *dvm_mode_name(enum dvm_mode m);

#endif

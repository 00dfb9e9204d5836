// SPDX-License-Identifier: GPL-2.0-only
#include "dirtyvm/options.h"
#include "dirtyvm/report.h"
#include "unit.h"

#include <stdlib.h>

static FILE *sink;

/* Parse a NULL-terminated list of words as dirtyvm's argv. */
static int parse(struct dvm_options *o, const char *first, ...)
{
	char *argv[32] = { "dirtyvm" };
	int argc = 1;
	__builtin_va_list ap;
	const char *w;

	__builtin_va_start(ap, first);
	for (w = first; w && argc < 31; w = __builtin_va_arg(ap, const char *))
		argv[argc++] = (char *)w;
	__builtin_va_end(ap);
	argv[argc] = NULL;
	return dvm_parse_options(argc, argv, o, sink, sink);
}

int main(void)
{
	struct dvm_options o;

	sink = fopen("/dev/null", "w");
	CHECK(parse(&o, NULL) == OPTS_OK, "no options");
	CHECK(o.vcpus == 2 && o.mem == 64ULL << 20 && o.backing == BACKING_THP && o.writes_pct == 100 &&
	      o.passes == 2 && o.rounds == 3 && o.mode == MODE_GET && o.vms == 1 && !o.loop,
	      "defaults as documented");
	CHECK(parse(&o, "--vcpus", "4", "--mem", "1G", "--backing", "hugetlb", "--writes", "50",
		    "--passes", "1", "--rounds", "5", "--mode", "clear", "--eager-split", "n",
		    "--loop", "--name", "guest1", "--vms", "3", "--json", NULL) == OPTS_OK, "every long option");
	CHECK(o.vcpus == 4 && o.mem == 1ULL << 30 && o.backing == BACKING_HUGETLB && o.writes_pct == 50 &&
	      o.passes == 1 && o.rounds == 5 && o.mode == MODE_CLEAR && o.eager == EAGER_OFF &&
	      o.loop && !strcmp(o.name, "guest1") && o.vms == 3 && o.json, "every long option's value");
	CHECK(parse(&o, "-v", "1", "-m", "2M", "-b", "4k", "-M", "get", "-e", "y", NULL) == OPTS_OK &&
	      o.vcpus == 1 && o.mem == 2ULL << 20 && o.backing == BACKING_4K && o.eager == EAGER_ON,
	      "short options");
	CHECK(parse(&o, "--help", NULL) == OPTS_HELP, "--help");
	CHECK(parse(&o, "--backing", "hugetlb1g", "--vcpus", "2", "--mem", "512M", NULL) == OPTS_OK &&
	      o.backing == BACKING_HUGETLB1G, "hugetlb1g: 2 x 512M is one GiB");
	CHECK(parse(&o, "--backing", "hugetlb1g", "--vcpus", "1", "--mem", "1G", NULL) == OPTS_OK, "hugetlb1g: 1G");
	CHECK(parse(&o, "--backing", "hugetlb1g", NULL) == OPTS_ERROR, "hugetlb1g: 2 x 64M is not");
	CHECK(parse(&o, "--backing", "hugetlb1g", "--vcpus", "3", "--mem", "512M", NULL) == OPTS_ERROR,
	      "hugetlb1g: 3 x 512M is not");

	/* Bad input: every one is a usage error. */
	CHECK(parse(&o, NULL) == OPTS_OK && !o.nested, "not nested by default");
	CHECK(parse(&o, "--nested", "--vcpus", "64", NULL) == OPTS_OK && o.nested && o.vcpus == 64,
	      "--nested, 64 vCPUs");
	CHECK(parse(&o, "-x", NULL) == OPTS_OK && o.nested, "-x");
	CHECK(parse(&o, "--nested", "--vcpus", "65", NULL) == OPTS_ERROR, "--nested: 65 vCPUs");
	CHECK(parse(&o, "--vcpus", "0", NULL) == OPTS_ERROR, "0 vCPUs");
	CHECK(parse(&o, "--vcpus", "513", NULL) == OPTS_ERROR, "more vCPUs than allowed");
	CHECK(parse(&o, "--vcpus", "512", NULL) == OPTS_OK && o.vcpus == 512, "512 vCPUs");
	CHECK(parse(&o, "--vcpus", "two", NULL) == OPTS_ERROR, "non-numeric vCPUs");
	CHECK(parse(&o, "--mem", "0", NULL) == OPTS_ERROR, "size 0");
	CHECK(parse(&o, "--mem", "lots", NULL) == OPTS_ERROR, "unparsable size");
	CHECK(parse(&o, "--mem", "3M", NULL) == OPTS_ERROR, "size not a multiple of 2M");
	CHECK(parse(&o, "--mem", "65G", NULL) == OPTS_ERROR, "size above 64G");
	CHECK(parse(&o, "--backing", "1g", NULL) == OPTS_ERROR, "unknown backing");
	CHECK(parse(&o, "--writes", "101", NULL) == OPTS_ERROR, "writes above 100");
	CHECK(parse(&o, "--writes", "-5", NULL) == OPTS_ERROR, "negative writes");
	CHECK(parse(&o, "--mode", "log", NULL) == OPTS_ERROR, "unknown mode");
	CHECK(parse(&o, "--mode", "ring", NULL) == OPTS_OK && o.mode == MODE_RING, "ring mode");
	CHECK(parse(&o, "--mode", "ring", "--mem", "256M", NULL) == OPTS_ERROR, "ring: a round must fit");
	CHECK(parse(&o, "--mode", "ring", "--mem", "192M", NULL) == OPTS_OK, "ring: 192M per vCPU");
	/* A migration's whole life. */
	CHECK(parse(&o, NULL) == OPTS_OK && o.migrations == 1 && o.cancel_after == -1 && !o.after_pass,
	      "one migration, not cancelled, no pass after it");
	CHECK(parse(&o, "--migrations", "0", NULL) == OPTS_OK && o.migrations == 0, "a destination VM");
	CHECK(parse(&o, "--migrations", "1001", NULL) == OPTS_ERROR, "more migrations than allowed");
	CHECK(parse(&o, "-g", "3", "-c", "1", "-a", NULL) == OPTS_OK && o.migrations == 3 && o.cancel_after == 1 &&
	      o.after_pass, "-g 3 -c 1 -a");
	CHECK(parse(&o, "--cancel-after", "0", NULL) == OPTS_OK && o.cancel_after == 0, "cancelled at once");
	CHECK(parse(&o, "--cancel-after", "3", NULL) == OPTS_ERROR, "cancelled after its last round");
	CHECK(parse(&o, "--cancel-after", "1", "--migrations", "0", NULL) == OPTS_ERROR,
	      "cancelling no migration");
	CHECK(parse(&o, "--cancel-after", "-1", NULL) == OPTS_ERROR, "negative rounds");
	CHECK(parse(&o, "--eager-split", "sometimes", NULL) == OPTS_ERROR, "bad eager-split");
	CHECK(parse(&o, "--vms", "0", NULL) == OPTS_ERROR, "0 VMs");
	CHECK(parse(&o, "--name", "", NULL) == OPTS_ERROR, "empty name");
	CHECK(parse(&o, "--bogus", NULL) == OPTS_ERROR, "unknown option");
	CHECK(parse(&o, "--vcpus", NULL) == OPTS_ERROR, "missing value");
	CHECK(parse(&o, "stray", NULL) == OPTS_ERROR, "stray argument");

	/* The write pattern's arithmetic (page i written iff i % 100 < pct). */
	parse(&o, "--vcpus", "2", "--mem", "2M", "--writes", "100", NULL);
	CHECK_EQ_U64(written_per_round(&o), 1024, "100% of 2 x 512 pages");
	parse(&o, "--vcpus", "1", "--mem", "2M", "--writes", "50", NULL);
	CHECK_EQ_U64(written_per_round(&o), 5 * 50 + 12, "50% of 512 pages: 5 full hundreds + 12");
	parse(&o, "--vcpus", "1", "--mem", "2M", "--writes", "0", NULL);
	CHECK_EQ_U64(written_per_round(&o), 0, "0%");
	parse(&o, "--vcpus", "3", "--mem", "2M", "--writes", "5", NULL);
	CHECK_EQ_U64(written_per_round(&o), 3 * (5 * 5 + 5), "5% of 3 x 512 pages");
	return unit_done();
}

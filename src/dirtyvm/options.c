// SPDX-License-Identifier: GPL-2.0-only
#include "options.h"
#include "common/parse.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

static const char usage[] =
"Usage: dirtyvm [OPTIONS]\n"
"Run real KVM VMs whose guests dirty memory the way a guest under live\n"
"migration does, and drive dirty logging the way a migrating VMM does.\n"
"\n"
"Each cycle: PASSES passes over all memory (the first writes every page, so\n"
"KVM maps it with huge pages), then MIGRATIONS migrations, each: enable dirty\n"
"logging, ROUNDS rounds (every vCPU touches its whole region once, then the\n"
"VMM collects the dirty log), disable dirty logging.\n"
"\n"
"  -v, --vcpus N          vCPUs per VM, 1..512 (default 2)\n"
"  -m, --mem SIZE         guest memory per vCPU, a multiple of 2M: 64M, 1G (default 64M)\n"
"  -b, --backing KIND     thp | hugetlb | hugetlb1g | 4k (default thp); hugetlb1g:\n"
"                         1 GiB pages, VM memory a multiple of 1G, mapped by the\n"
"                         guest with 1 GiB pages where KVM offers them\n"
"  -w, --writes PCT       share of accesses that write, 0..100 (default 100)\n"
"  -p, --passes N         passes before dirty logging, 0..1000 (default 2)\n"
"  -r, --rounds N         dirty-log rounds of each migration (default 3)\n"
"  -g, --migrations N     migrations of the same VM per cycle, 0..1000 (default 1);\n"
"                         0: populate only, as a migration's destination VM\n"
"  -c, --cancel-after R   the first migration is cancelled after R rounds\n"
"                         (0..ROUNDS-1): logging disabled, the others then run\n"
"  -a, --after-pass       after each migration, one more pass writing all memory\n"
"                         with logging off (huge mappings rebuilt or refaulted)\n"
"  -M, --mode MODE        get: KVM_GET_DIRTY_LOG; clear: manual protect with\n"
"                         initially-all-set and KVM_CLEAR_DIRTY_LOG; ring: the\n"
"                         dirty ring, harvested and KVM_RESET_DIRTY_RINGS each\n"
"                         round, at most 192M per vCPU (default get)\n"
"  -e, --eager-split Y|N  set KVM's eager_page_split for the run, restored at exit\n"
"                         (arm64: each VM's eager split chunk, 2 MiB or none)\n"
"  -l, --loop             repeat the cycle until interrupted\n"
"  -n, --name NAME        the VM's name (as QEMU's -name guest=NAME)\n"
"  -N, --vms N            independent VMs in this process, 1..64 (default 1)\n"
"  -x, --nested           the guest is a minimal hypervisor (AMD SVM with nested\n"
"                         paging) and the passes run in its own guest (L2), whose\n"
"                         memory KVM's shadow MMU maps; at most 64 vCPUs; exit 1\n"
"                         where KVM offers no nested SVM (Intel, kvm_amd nested=0)\n"
"  -j, --json             print the summary as one JSON object\n"
"  -h, --help             show this help\n"
"\n"
"Examples:\n"
"  dirtyvm --vcpus 2 --mem 256M                 one migration cycle, 2 x 256 MiB\n"
"  dirtyvm --backing hugetlb --mode clear --json\n"
"  dirtyvm --nested --vcpus 1 --mem 16M         dirtying in a nested (L2) guest\n"
"  dirtyvm --loop --name demo --vcpus 2         cycle until Ctrl-C\n"
"  dirtyvm --migrations 2 --cancel-after 1 --after-pass\n"
"                                               one cancelled migration, one whole\n"
"\n"
"Exit status: 0 done, 1 runtime error, 2 usage error, 130/143 stopped by\n"
"SIGINT/SIGTERM (the summary so far is printed).\n";

const char *dvm_backing_name(enum dvm_backing b)
{
	switch (b) {
	case BACKING_THP: return "thp";
	case BACKING_HUGETLB: return "hugetlb";
	case BACKING_HUGETLB1G: return "hugetlb1g";
	default: return "4k";
	}
}

const char *dvm_mode_name(enum dvm_mode m)
{
	return m == MODE_CLEAR ? "clear" : m == MODE_RING ? "ring" : "get";
}

static int bad(FILE *err, const char *opt, const char *val, const char *why)
{
	fprintf(err, "dirtyvm: invalid %s '%s': %s\n", opt, val, why);
	return OPTS_ERROR;
}

/* The options with a value (optarg) and the flags: OPTS_OK, or
 * OPTS_ERROR after one message; OPTS_NONE where c is none of them. */
#define OPTS_NONE (-100)

/* The migrations' shape: how many, their rounds, how logged, cancelled, a
 * pass after each.  As apply(). */
static int apply_migration(int c, struct dvm_options *o, FILE *err)
{
	unsigned int r;

	switch (c) {
	case 'r':
		if (parse_u32(optarg, 0, DVM_MAX_ROUNDS, &o->rounds))
			return bad(err, "--rounds", optarg, "expected 0..1000000");
		break;
	case 'M':
		if (!strcmp(optarg, "get"))
			o->mode = MODE_GET;
		else if (!strcmp(optarg, "clear"))
			o->mode = MODE_CLEAR;
		else if (!strcmp(optarg, "ring"))
			o->mode = MODE_RING;
		else
			return bad(err, "--mode", optarg, "expected get, clear or ring");
		break;
	case 'g':
		if (parse_u32(optarg, 0, DVM_MAX_MIGRATIONS, &o->migrations))
			return bad(err, "--migrations", optarg, "expected 0..1000");
		break;
	case 'c':
		if (parse_u32(optarg, 0, DVM_MAX_ROUNDS, &r))
			return bad(err, "--cancel-after", optarg, "expected a number of rounds");
		o->cancel_after = (int)r;
		break;
	case 'a':
		o->after_pass = true;
		break;
	default:
		return OPTS_NONE;
	}
	return OPTS_OK;
}

static int apply(int c, struct dvm_options *o, FILE *err)
{
	bool flag;

	switch (c) {
	case 'v':
		if (parse_u32(optarg, 1, DVM_MAX_VCPUS, &o->vcpus))
			return bad(err, "--vcpus", optarg, "expected 1..512");
		break;
	case 'm':
		if (parse_size(optarg, DVM_HUGE_SIZE, DVM_MAX_MEM, &o->mem) ||
		    o->mem % DVM_HUGE_SIZE)
			return bad(err, "--mem", optarg, "expected a multiple of 2M from 2M to 64G");
		break;
	case 'b':
		if (!strcmp(optarg, "thp"))
			o->backing = BACKING_THP;
		else if (!strcmp(optarg, "hugetlb"))
			o->backing = BACKING_HUGETLB;
		else if (!strcmp(optarg, "hugetlb1g"))
			o->backing = BACKING_HUGETLB1G;
		else if (!strcmp(optarg, "4k"))
			o->backing = BACKING_4K;
		else
			return bad(err, "--backing", optarg, "expected thp, hugetlb, hugetlb1g or 4k");
		break;
	case 'w':
		if (parse_u32(optarg, 0, 100, &o->writes_pct))
			return bad(err, "--writes", optarg, "expected 0..100");
		break;
	case 'p':
		if (parse_u32(optarg, 0, DVM_MAX_PASSES, &o->passes))
			return bad(err, "--passes", optarg, "expected 0..1000");
		break;
	case 'e':
		if (parse_bool(optarg, &flag))
			return bad(err, "--eager-split", optarg, "expected y or n");
		o->eager = flag ? EAGER_ON : EAGER_OFF;
		break;
	case 'l':
		o->loop = true;
		break;
	case 'n':
		if (!optarg[0] || strlen(optarg) > 64)
			return bad(err, "--name", optarg, "expected 1..64 characters");
		o->name = optarg;
		break;
	case 'N':
		if (parse_u32(optarg, 1, DVM_MAX_VMS, &o->vms))
			return bad(err, "--vms", optarg, "expected 1..64");
		break;
	case 'j':
		o->json = true;
		break;
	case 'x':
		o->nested = true;
		break;
	default:
		return apply_migration(c, o, err);
	}
	return OPTS_OK;
}

/* What holds across options. */
static int check(const struct dvm_options *o, int argc, char **argv, FILE *err)
{
	if (optind < argc) {
		fprintf(err, "dirtyvm: unexpected argument '%s' (see --help)\n", argv[optind]);
		return OPTS_ERROR;
	}
	if (o->cancel_after >= 0 && (unsigned int)o->cancel_after >= o->rounds) {
		fprintf(err, "dirtyvm: --cancel-after %d: a cancelled migration stops before its last round "
			"(0..%d with --rounds %u)\n", o->cancel_after, (int)o->rounds - 1, o->rounds);
		return OPTS_ERROR;
	}
	if (o->cancel_after >= 0 && !o->migrations) {
		fprintf(err, "dirtyvm: --cancel-after needs a migration (--migrations 0 given)\n");
		return OPTS_ERROR;
	}
	if (o->mode == MODE_RING && o->mem > DVM_MAX_RING_MEM) {
		fprintf(err, "dirtyvm: --mode ring: at most 192M per vCPU (a round must fit in each vCPU's ring)\n");
		return OPTS_ERROR;
	}
	if (o->nested && o->vcpus > DVM_MAX_NESTED_VCPUS) {
		fprintf(err, "dirtyvm: --nested: at most 64 vCPUs per VM (see --help)\n");
		return OPTS_ERROR;
	}
	if (o->backing == BACKING_HUGETLB1G && (uint64_t)o->vcpus * o->mem % DVM_GIB) {
		fprintf(err, "dirtyvm: --backing hugetlb1g: guest memory per VM (--vcpus x --mem) must be a "
			"multiple of 1G (see --help)\n");
		return OPTS_ERROR;
	}
	return OPTS_OK;
}

int dvm_parse_options(int argc, char **argv, struct dvm_options *o, FILE *out, FILE *err)
{
	static const struct option longopts[] = {
		{ "vcpus", required_argument, NULL, 'v' },
		{ "mem", required_argument, NULL, 'm' },
		{ "backing", required_argument, NULL, 'b' },
		{ "writes", required_argument, NULL, 'w' },
		{ "passes", required_argument, NULL, 'p' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'M' },
		{ "eager-split", required_argument, NULL, 'e' },
		{ "migrations", required_argument, NULL, 'g' },
		{ "cancel-after", required_argument, NULL, 'c' },
		{ "after-pass", no_argument, NULL, 'a' },
		{ "loop", no_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "vms", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "nested", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	*o = (struct dvm_options){
		.vcpus = 2, .mem = 64ULL << 20, .backing = BACKING_THP, .writes_pct = 100,
		.passes = 2, .rounds = 3, .migrations = 1, .cancel_after = -1,
		.mode = MODE_GET, .eager = EAGER_UNCHANGED,
		.name = "dirtyvm", .vms = 1,
	};
	/* getopt keeps state across calls; unit tests parse many argv's. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":v:m:b:w:p:r:g:c:aM:e:ln:N:jxh", longopts, NULL)) != -1) {
		rc = apply(c, o, err);
		if (rc != OPTS_NONE && rc != OPTS_OK)
			return rc;
		if (rc == OPTS_OK)
			continue;
		switch (c) {
		case 'h':
			fputs(usage, out);
			return OPTS_HELP;
		case ':':
			fprintf(err, "dirtyvm: option '%s' needs a value (see --help)\n", argv[optind - 1]);
			return OPTS_ERROR;
		default:
			fprintf(err, "dirtyvm: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return OPTS_ERROR;
		}
	}
	return check(o, argc, argv, err);
}

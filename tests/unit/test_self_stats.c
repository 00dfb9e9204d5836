// SPDX-License-Identifier: GPL-2.0-only
/* splittop's own failure counters reach every output: JSON's "self",
 * --listen, the messages at exit, the live view's header, SPLITTOP_RECORD
 * and --replay.  Each counter gets a value of its own, so that a writer
 * that leaves one out, or writes one under another's name, fails here. */
#include "splittop/output/openmetrics.h"
#include "splittop/output/raw_record.h"
#include "splittop/replay/replay_model.h"
#include "splittop/model/self_stats.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct self_limits limits = { .max_vms = 512, .max_vcpus = 4096 };

static __u64 value_of(unsigned int i)
{
	return 7000001 + 1000 * i;
}

/* Every counter at once, each with its own value. */
static struct self_stats all_set(void)
{
	struct self_stats s;
	unsigned int i;

	for (i = 0; i < NR_SELF_STATS; i++)
		self_stat_set(&s, i, value_of(i));
	return s;
}

/* %llu first, then %u exactly where the line names a limit, no other
 * conversion: self_stat_text passes those two and no more. */
static bool format_ok(const char *fmt, enum self_limit limit)
{
	const char *p = strchr(fmt, '%');

	if (!p || strncmp(p, "%llu", 4))
		return false;
	p = strchr(p + 4, '%');
	if (limit == SL_NONE)
		return !p;
	return p && !strncmp(p, "%u", 2) && !strchr(p + 2, '%');
}

static void table_cases(void)
{
	bool rec_seen[NR_SELF_STATS] = { false };
	unsigned int i, k;

	for (i = 0; i < NR_SELF_STATS; i++) {
		const struct self_stat_def *d = &self_stat_defs[i];

		CHECK(d->name && d->name[0] && d->help && d->help[0], "%s: a name and a help text", d->name);
		CHECK(format_ok(d->exit, d->limit), "%s: exit message's conversions: %s", d->name, d->exit);
		/* The man page says every one is in the live view's header. */
		CHECK(d->view && format_ok(d->view, SL_NONE), "%s: header words: %s", d->name,
		      d->view ? d->view : "(none)");
		CHECK(d->rec < NR_SELF_STATS && !rec_seen[d->rec], "%s: a place of its own in the recording",
		      d->name);
		if (d->rec < NR_SELF_STATS)
			rec_seen[d->rec] = true;
		for (k = 0; k < i; k++)
			CHECK(strcmp(d->name, self_stat_defs[k].name), "%s: a name of its own", d->name);
	}
}

static char *render_json(const struct self_stats *self)
{
	struct snapshot s = { .self = *self, .time_unix = 1, .elapsed = 1 };
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	json_renderer.frame(f, &s, SCOPE_INTERVAL);
	fclose(f);
	return text;
}

static char *render_om(const struct self_stats *self)
{
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	om_render(f, NULL, 0, self, true);
	fclose(f);
	return text;
}

/* Each name with its own value, in JSON and --listen. */
static void writer_cases(void)
{
	struct self_stats s = all_set();
	char *json = render_json(&s), *om = render_om(&s);
	unsigned int i;

	for (i = 0; i < NR_SELF_STATS; i++) {
		const char *name = self_stat_defs[i].name;
		char want[160];

		snprintf(want, sizeof(want), "\"%s\":%llu", name, (unsigned long long)value_of(i));
		CHECK(strstr(json, want), "JSON's self has %s", want);
		snprintf(want, sizeof(want), "\nsplittop_self_%s_total %llu\n", name, (unsigned long long)value_of(i));
		CHECK(strstr(om, want), "--listen has splittop_self_%s_total", name);
		snprintf(want, sizeof(want), "# TYPE splittop_self_%s counter\n# HELP splittop_self_%s %s\n", name, name,
			 self_stat_defs[i].help);
		CHECK(strstr(om, want), "--listen: %s's TYPE and HELP", name);
	}
	/* The names Prometheus users already query stay. */
	CHECK(strstr(om, "splittop_self_vm_table_full_total ") && strstr(om, "splittop_self_rmap_read_fail_total "),
	      "older names kept");
	free(json);
	free(om);
}

/* One counter not zero: one exit message, one item in the header, each
 * with its value. */
static void one_at_a_time_cases(void)
{
	unsigned int i;

	for (i = 0; i < NR_SELF_STATS; i++) {
		struct self_stats s = { 0 };
		char want[64], line[512], *text;
		size_t len;
		FILE *f = open_memstream(&text, &len);

		self_stat_set(&s, i, value_of(i));
		self_stats_report(f, &s, &limits);
		fclose(f);
		snprintf(want, sizeof(want), "splittop: %llu ", (unsigned long long)value_of(i));
		CHECK(!strncmp(text, want, strlen(want)) && strchr(text, '\n') == text + len - 1,
		      "%s: one message at exit: %.*s", self_stat_defs[i].name, (int)(len ? len - 1 : 0), text);
		free(text);
		self_stats_view_line(line, sizeof(line), &s);
		snprintf(want, sizeof(want), "%llu ", (unsigned long long)value_of(i));
		CHECK(!strncmp(line, want, strlen(want)) && !strstr(line, "  "), "%s: in the header: %s",
		      self_stat_defs[i].name, line);
	}
}

static void messages_cases(void)
{
	struct self_stats s = { 0 }, all = all_set();
	char line[1024], *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	unsigned int i, lines = 0;

	self_stats_report(f, &s, &limits);
	self_stats_view_line(line, sizeof(line), &s);
	fclose(f);
	CHECK(len == 0 && !line[0], "all zero: no message, no header line");
	free(text);
	f = open_memstream(&text, &len);
	self_stats_report(f, &all, &limits);
	fclose(f);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	CHECK(lines == NR_SELF_STATS, "all set: one message each (%u)", lines);
	CHECK(strstr(text, "splittop: 7000001 VMs not tracked: more than --max-vms 512 VMs at once\n") &&
	      strstr(text, "splittop: 7001001 vCPUs without a row of their own: more than --max-vcpus 4096 "),
	      "the limits in their messages, as the e2e tests read them");
	free(text);
	self_stats_view_line(line, sizeof(line), &all);
	for (i = 0; i < NR_SELF_STATS; i++) {
		char want[32];

		snprintf(want, sizeof(want), "%llu ", (unsigned long long)value_of(i));
		CHECK(strstr(line, want), "the header with all set has %s", self_stat_defs[i].name);
	}
	CHECK(strstr(line, "(over --max-vms)  ") && strstr(line, "(over --max-vcpus)  "), "header: %s", line);
}

/* SPLITTOP_RECORD's frame line, written and read back; and as recordings
 * older than some counters have it. */
static void recording_cases(void)
{
	struct self_stats s = all_set();
	struct snapshot snap = { .self = s, .avail = { .splits = true, .split_mmu = true } };
	struct record_reader *r = calloc(1, sizeof(*r));
	char *text, old[] = "frame total 0x1p+0 0x1p+0 1 2 3 4 5 1111111\n",
		    newer[] = "frame total 0x1p+0 0x1p+0 1 2 3 4 5 11111111 6 7 8 9 10\n",
		    bad[] = "frame total 0x1p+0 0x1p+0 1 2 3 4 1111111\n";
	size_t len;
	FILE *f = open_memstream(&text, &len);

	record_renderer.frame(f, &snap, SCOPE_TOTAL);
	fclose(f);
	CHECK(record_read_line(r, text) == 'F' && !memcmp(&r->self, &s, sizeof(s)) && r->avail.splits &&
	      r->avail.split_mmu && !r->avail.faults, "a frame line read back: every counter");
	free(text);
	CHECK(record_read_line(r, old) == 'F' && r->self.vm_table_full == 1 && r->self.rmap_read_fail == 5 &&
	      !r->self.missed_events && !r->self.vcpu_table_full && !r->avail.split_mmu,
	      "an old recording: five counters, seven flags, the rest zero");
	CHECK(record_read_line(r, newer) == 'F' && r->self.missed_events == 6 && r->self.missed_probe_events == 7 &&
	      r->self.vcpu_table_full == 8, "a newer one: counters it does not know left unread");
	CHECK(record_read_line(r, bad) == -1, "four counters before the flags: refused");
	free(r);
}

/* splittop --json read back by --replay. */
static void replay_cases(void)
{
	struct host_info host = { .kernel = "6.1", .mmu = HOST_MMU_TDP, .eager_split = "Y" };
	struct self_stats s = all_set();
	struct snapshot snap = { .host = &host, .self = s, .time_unix = 1795768473, .elapsed = 1 };
	char path[] = "/tmp/test_self_stats.XXXXXX";
	struct replay_model *m = calloc(1, sizeof(*m));
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	CHECK(f, "a temporary recording");
	if (!f)
		return;
	json_renderer.start(f, &snap, 1);
	json_renderer.frame(f, &snap, SCOPE_INTERVAL);
	fclose(f);
	CHECK(!replay_model_open(m, path) && replay_model_refresh(m) >= 0 && m->nfr == 1 &&
	      !replay_model_goto(m, 0), "the recording replayed: %s", m->err);
	CHECK(!memcmp(&m->snap.self, &s, sizeof(s)), "--replay reads every counter back");
	replay_model_close(m);
	free(m);
	unlink(path);
}

int main(void)
{
	table_cases();
	writer_cases();
	one_at_a_time_cases();
	messages_cases();
	recording_cases();
	replay_cases();
	return unit_done();
}

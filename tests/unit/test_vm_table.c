// SPDX-License-Identifier: GPL-2.0-only
/* The VM table on its own: entries, names and their numbering, finished VMs
 * kept aside in a file and brought back. */
#include "splittop/model/vm_table.h"
#include "unit.h"

#include <stdlib.h>

static uint32_t gone_pid;

static bool alive_but_gone(uint32_t pid)
{
	return pid != gone_pid;
}

static void name(struct vm_table *t, struct vm_entry *e, const char *argv0, const char *vm)
{
	char cmd[128];
	int n = snprintf(cmd, sizeof(cmd), "%s%c--name%c%s", argv0, 0, 0, vm);

	vm_table_name(t, e, cmd, n + 1);
}

/* A name its VM's owner chose to act on whoever reads the output: made
 * printable once, here, for every output alike. */
static void hostile_names(void)
{
	struct vm_table t = { 0 };
	struct vm_entry *e;
	char cmd[256];
	int n, i;

	e = vm_table_get(&t, 1, 0xa000, 0, 300);
	name(&t, e, "qemu", "\x1b]0;pwned\x07\x1b[2J=EVIL");
	CHECK_STR(e->name, "?]0;pwned??[2J=EVIL", "ESC, BEL: '?', the rest kept");
	e = vm_table_get(&t, 2, 0xb000, 0, 301);
	name(&t, e, "qemu", "a\xc2\x9b" "31mb\x7f\xff\xc3\xa9\xe6\x95\xb0");
	CHECK_STR(e->name, "a?31mb??\xc3\xa9\xe6\x95\xb0", "C1 CSI, DEL, a stray byte: '?'; é and 数 kept");

	/* A long name of two-byte letters: cut at a letter, room for "#k". */
	n = snprintf(cmd, sizeof(cmd), "qemu%c--name%c", 0, 0);
	for (i = 0; i < 60; i++)
		n += snprintf(cmd + n, sizeof(cmd) - n, "\xc3\xa9");
	e = vm_table_get(&t, 3, 0xc000, 0, 302);
	vm_table_name(&t, e, cmd, n + 1);
	e = vm_table_get(&t, 4, 0xd000, 1, 302);
	vm_table_name(&t, e, cmd, n + 1);
	CHECK(strlen(e->name) == 86 + 2 && !strcmp(e->name + 86, "#1"),
	      "43 whole letters of 60, then #1: '%s'", e->name);
	vm_table_free(&t);
}

int main(void)
{
	struct vm_table t = { 0 };
	struct vm_entry *a, *b, *c, *again;
	unsigned int i, live;

	a = vm_table_get(&t, 1, 0xa000, 0, 100);
	CHECK(a && a->alive && a->seq == 1 && a->pid == 100 && a->gauges.memslots_dirty == -1,
	      "a new entry: alive, unknown dirty logging");
	name(&t, a, "/usr/bin/dirtyvm", "web");
	CHECK_STR(a->name, "web", "one VM in its process: its plain name");
	again = vm_table_get(&t, 1, 0xa000, 0, 100);
	CHECK(again == a, "the same VM gets the same entry");

	b = vm_table_get(&t, 2, 0xb000, 1, 100);
	name(&t, b, "/usr/bin/dirtyvm", "web");
	a = &t.e[0];	/* entries may have moved */
	CHECK_STR(b->name, "web#1", "a process's second VM is numbered");
	CHECK_STR(a->name, "web", "and its first one keeps its name: names never depend on timing");

	c = vm_table_get(&t, 3, 0xc000, 2, 200);
	vm_table_name(&t, c, NULL, -1);
	CHECK_STR(c->name, "pid200", "no command line: named by pid");

	/* b dies: it goes to the file, and its entry is free for the next VM. */
	t.e[1].alive = false;
	t.e[1].now.faults[FAULT_HUGE_WP] = 1234;
	gone_pid = 0;
	CHECK(!vm_table_spill(&t, alive_but_gone), "spill");
	CHECK(t.nfinished == 1 && t.e[1].seq == 0, "the dead VM is in the file, its entry free");
	c = vm_table_get(&t, 4, 0xd000, 1, 100);
	CHECK(c == &t.e[1], "a free entry is reused");
	name(&t, c, "dirtyvm", "web");
	CHECK_STR(c->name, "web#2", "numbers are not reused while the process lives");

	/* Process 100 ends: its numbering is forgotten once none of its VMs is left. */
	t.e[0].alive = false;
	t.e[1].alive = false;
	gone_pid = 100;
	CHECK(!vm_table_spill(&t, alive_but_gone), "spill two");
	CHECK_EQ_U64(t.nfinished, 3, "three finished VMs in the file");
	a = vm_table_get(&t, 5, 0xe000, 0, 100);
	name(&t, a, "dirtyvm", "web");
	CHECK_STR(a->name, "web", "a new process with the old pid starts over");

	CHECK(!vm_table_restore(&t), "restore");
	for (i = 0, live = 0; i < t.n; i++)
		live += t.e[i].seq != 0;
	CHECK_EQ_U64(live, 5, "every VM is back for the totals");
	for (i = 0; i < t.n; i++)
		if (t.e[i].seq == 2)
			CHECK(t.e[i].now.faults[FAULT_HUGE_WP] == 1234 && !strcmp(t.e[i].name, "web#1"),
			      "a finished VM keeps its counters and name");
	CHECK(t.finished == NULL && t.nfinished == 0, "the file is gone");
	vm_table_free(&t);
	CHECK(t.e == NULL && t.n == 0, "freed");
	hostile_names();
	return unit_done();
}

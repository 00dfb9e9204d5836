/* SPDX-License-Identifier: GPL-2.0-only */
/* What a --json recording is, shared by its writer (json.c) and its readers
 * (recording_vm.c, replay.c, replay_model.c): the format number and the
 * names its keys take from the contract's enums.  One list each, so that a
 * name the writer changes is a name the reader looks for. */
#ifndef SPLITTOP_RECORDING_FORMAT_H
#define SPLITTOP_RECORDING_FORMAT_H

#include "splittop.h"

/* The recording format this splittop writes (the host line's "format");
 * recordings without one are format 0 (splittop before 2026-12-02), the
 * same lines.  Every format up to this one is read. */
#define RECORDING_FORMAT 1

/* Indexed by the contract's enums.  Static in a header: each user gets its
 * own copy of a few pointers, and no object file to link for them. */
static const char *const rec_fault_keys[FAULT_CLASSES] = { "faults_huge_wp", "faults_nonpresent",
							   "faults_4k_wp", "faults_other" };
static const char *const rec_dlog_names[DLOG_OPS] = { "enable", "disable", "get", "clear", "reset" };
static const char *const rec_holder_names[LOCK_HOLDERS] = { "vcpu_fault", "memslot", "dirty_log", "other" };
static const char *const rec_mode_names[MMU_LOCK_MODES] = { "read", "write" };
static const char *const rec_size_names[SPLIT_SIZES] = { "2m", "1g" };

#endif

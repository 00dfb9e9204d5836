// SPDX-License-Identifier: GPL-2.0-only
/*
 * A VM's identities from its VMM's command line.  The forms, as each
 * manager writes them (read in their sources; see tests/unit/test_vm_ident.c
 * for recorded command lines of each):
 *
 * libvirt (src/qemu/qemu_command.c): "-name guest=DOMAIN,debug-threads=on",
 * "-uuid UUID", and with a <sysinfo> "-smbios type=1,...,uuid=UUID".
 *
 * KubeVirt runs libvirt in the virt-launcher pod and names the domain
 * NAMESPACE_NAME: kubevirt/kubevirt pkg/virt-launcher/virtwrap/util/
 * libvirt_helper.go, VMINamespaceKeyFunc() -> DomainFromNamespaceName(),
 * fmt.Sprintf("%s_%s", namespace, name), and SplitVMINamespaceKey() reads it
 * back by splitting at the first "_" (a namespace is a DNS label: it has
 * none).  What tells a KubeVirt QEMU from another libvirt one: its SMBIOS
 * system entry (manufacturer and family "KubeVirt" by default), or a path
 * of the launcher pod (/var/run/kubevirt-private/..., the libvirt home of a
 * non-root launcher; /var/run/kubevirt/container-disks/...).
 *
 * Proxmox VE (qemu-server, PVE/QemuServer.pm config_to_command): "-id VMID"
 * right after the binary, then "-name NAME,debug-threads=on" (no "guest=":
 * not a libvirt domain) and "-smbios type=1,uuid=UUID".
 */
#include "vm_ident.h"
#include "common/text.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

const struct vm_ident_def vm_ident_defs[NR_VM_IDENTS] = {
#define VM_IDENT_DEF(id, key, label) [id] = { key, label },
	VM_IDENTS(VM_IDENT_DEF)
#undef VM_IDENT_DEF
};

static void set(char *out, const char *s, size_t n)
{
	if (n >= VM_IDENT_LEN)
		n = VM_IDENT_LEN - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* The value of key=VALUE in a comma-separated QEMU option ("type=1,uuid=X"),
 * its length in *n; NULL when the key is not there. */
static const char *opt_value(const char *opts, const char *key, size_t *n)
{
	size_t klen = strlen(key);
	const char *p = opts;

	while (p && *p) {
		const char *comma = strchr(p, ',');

		if (!strncmp(p, key, klen) && p[klen] == '=') {
			p += klen + 1;
			*n = comma ? (size_t)(comma - p) : strlen(p);
			return p;
		}
		p = comma ? comma + 1 : NULL;
	}
	return NULL;
}

/* A UUID as QEMU takes it (hex digits with or without the dashes),
 * lowercased as libvirt prints it; anything else is not one. */
static void set_uuid(char *out, const char *s, size_t n)
{
	size_t i, hex = 0;

	if (n < 32 || n > 36)
		return;
	for (i = 0; i < n; i++) {
		if (isxdigit((unsigned char)s[i]))
			hex++;
		else if (s[i] != '-')
			return;
	}
	if (hex != 32)
		return;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0 && n < 12;
}

struct scan {
	struct vm_ident *id;
	char smbios_uuid[VM_IDENT_LEN];
	bool kubevirt;
};

static bool smbios_says_kubevirt(const char *v)
{
	const char *s;
	size_t n;

	return ((s = opt_value(v, "manufacturer", &n)) && n == 8 && !strncmp(s, "KubeVirt", 8)) ||
	       ((s = opt_value(v, "family", &n)) && n == 8 && !strncmp(s, "KubeVirt", 8));
}

/* One option and its value; opt without its leading dashes. */
static void take(struct scan *sc, const char *opt, const char *v)
{
	const char *s;
	size_t n;

	if (!strcmp(opt, "uuid")) {
		set_uuid(sc->id->v[IDENT_UUID], v, strlen(v));
	} else if (!strcmp(opt, "smbios") && (s = opt_value(v, "type", &n)) && n == 1 && *s == '1') {
		if ((s = opt_value(v, "uuid", &n)))
			set_uuid(sc->smbios_uuid, s, n);
		sc->kubevirt |= smbios_says_kubevirt(v);
	} else if (!strcmp(opt, "name") && (s = opt_value(v, "guest", &n))) {
		set(sc->id->v[IDENT_DOMAIN], s, n);
	} else if (!strcmp(opt, "id") && all_digits(v, strlen(v))) {
		set(sc->id->v[IDENT_VMID], v, strlen(v));
	}
}

/* KubeVirt's domain NAMESPACE_NAME split at its first "_". */
static void kubevirt_names(struct vm_ident *id)
{
	const char *dom = id->v[IDENT_DOMAIN], *us = strchr(dom, '_');

	if (!us || us == dom || !us[1])
		return;
	set(id->v[IDENT_NAMESPACE], dom, (size_t)(us - dom));
	set(id->v[IDENT_KV_NAME], us + 1, strlen(us + 1));
}

void vm_ident_from_cmdline(const char *cmdline, size_t len, struct vm_ident *out)
{
	const char *arg = cmdline, *end = cmdline + len, *opt = NULL;
	struct scan sc = { .id = out };

	memset(out, 0, sizeof(*out));
	while (arg < end) {
		size_t n = strnlen(arg, end - arg);

		if (arg + n >= end)	/* unterminated last word: not trusted */
			break;
		if (opt)
			take(&sc, opt, arg);
		opt = NULL;
		if (arg[0] == '-' && arg[1])
			opt = arg + (arg[1] == '-' ? 2 : 1);	/* QEMU takes -opt and --opt */
		if (strstr(arg, "/kubevirt-private/") || strstr(arg, "/var/run/kubevirt/"))
			sc.kubevirt = true;
		arg += n + 1;
	}
	if (!out->v[IDENT_UUID][0])
		memcpy(out->v[IDENT_UUID], sc.smbios_uuid, sizeof(sc.smbios_uuid));
	if (sc.kubevirt)
		kubevirt_names(out);
}

void vm_ident_sanitize(struct vm_ident *id)
{
	char raw[VM_IDENT_LEN];
	unsigned int i;

	for (i = 0; i < NR_VM_IDENTS; i++) {
		memcpy(raw, id->v[i], sizeof(raw));
		raw[sizeof(raw) - 1] = '\0';
		text_sanitize(id->v[i], sizeof(id->v[i]), raw);
	}
}

bool vm_ident_matches(const char *want, const char *name, const struct vm_ident *id)
{
	return !strcmp(want, name) || (vm_ident_has(id, IDENT_UUID) && !strcasecmp(want, id->v[IDENT_UUID]));
}

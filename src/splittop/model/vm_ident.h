/* SPDX-License-Identifier: GPL-2.0-only */
/* A VM's identity beyond its name, read once from its VMM's command line so
 * that a fleet can join splittop's series with those it already has:
 * prometheus-libvirt-exporter's (uuid, domain), KubeVirt's kubevirt_vmi_*
 * (namespace, name), Proxmox's (VMID).  One list, VM_IDENTS: the CSV column
 * and JSON key, and the OpenMetrics label; an empty string is an identity
 * the command line did not carry, and stays absent in every output. */
#ifndef SPLITTOP_VM_IDENT_H
#define SPLITTOP_VM_IDENT_H

#include <stdbool.h>
#include <stddef.h>

/*        id             CSV column, JSON key   OpenMetrics label */
#define VM_IDENTS(X)						\
	X(IDENT_UUID,      "uuid",               "uuid")	\
	X(IDENT_DOMAIN,    "domain",             "domain")	\
	X(IDENT_NAMESPACE, "kubevirt_namespace", "namespace")	\
	X(IDENT_KV_NAME,   "kubevirt_name",      "name")	\
	X(IDENT_VMID,      "proxmox_vmid",       "vmid")

#define VM_IDENT_ENUM(id, key, label) id,
enum vm_ident_id { VM_IDENTS(VM_IDENT_ENUM) NR_VM_IDENTS };
#undef VM_IDENT_ENUM

struct vm_ident_def {
	const char *key;	/* CSV column, JSON key, recording field */
	const char *label;	/* OpenMetrics label */
};
extern const struct vm_ident_def vm_ident_defs[NR_VM_IDENTS];

/* A libvirt domain name is at most what a Kubernetes namespace (63) and a
 * VMI's name (63) make with their "_"; longer ones are cut. */
#define VM_IDENT_LEN	160

struct vm_ident {
	char v[NR_VM_IDENTS][VM_IDENT_LEN];	/* "": absent */
};

/* The identities a VMM's command line carries (NUL-separated argv, len
 * bytes; an unterminated last word is not read), as they are written there:
 * the caller makes them printable (text_sanitize).  Absent ones are "".
 *   uuid       QEMU's -uuid, else -smbios type=1,...,uuid=...; only a UUID's
 *              characters (hex digits and '-', 32 to 36 of them), lowercased
 *   domain     QEMU's -name guest=NAME: libvirt names its domains so
 *   namespace, name  a KubeVirt VM's, from its domain NAMESPACE_NAME
 *   vmid       Proxmox's -id VMID (digits) */
void vm_ident_from_cmdline(const char *cmdline, size_t len, struct vm_ident *out);

/* Each identity made printable as VM names are (text_sanitize), in place. */
void vm_ident_sanitize(struct vm_ident *id);

/* --vm WANT: the VM's name, or its uuid (in any case). */
bool vm_ident_matches(const char *want, const char *name, const struct vm_ident *id);

/* Whether an identity is present. */
static inline bool vm_ident_has(const struct vm_ident *id, enum vm_ident_id i)
{
	return id->v[i][0] != '\0';
}

#endif

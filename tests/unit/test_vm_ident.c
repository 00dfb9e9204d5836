// SPDX-License-Identifier: GPL-2.0-only
/* A VM's identities from real VMM command lines of each form, and how they
 * reach /metrics, the text recording and --vm. */
#include "splittop/model/vm_ident.h"
#include "splittop/output/openmetrics.h"
#include "splittop/output/raw_record.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* Spaces in "words" separate argv's words: the NUL-separated cmdline. */
static size_t argv_of(const char *words, char *out, size_t cap)
{
	size_t n = strlen(words) + 1;

	if (n > cap)
		abort();
	memcpy(out, words, n);
	for (size_t i = 0; i < n; i++)
		if (out[i] == ' ')
			out[i] = '\0';
	return n;
}

static void ident_of(const char *words, struct vm_ident *id)
{
	static char buf[8192];

	vm_ident_from_cmdline(buf, argv_of(words, buf, sizeof(buf)), id);
}

static void want(const struct vm_ident *id, const char *uuid, const char *domain, const char *ns,
		 const char *name, const char *vmid, const char *what)
{
	const char *w[NR_VM_IDENTS] = { uuid, domain, ns, name, vmid };

	for (unsigned int i = 0; i < NR_VM_IDENTS; i++)
		CHECK_STR(id->v[i], w[i] ? w[i] : "", what);
}

static void forms(void)
{
	struct vm_ident id;

	/* libvirt's QEMU (virsh start, libvirt 9.0 on Debian 12), as `ps -o args`
	 * shows it: src/qemu/qemu_command.c writes -name guest=, -uuid and,
	 * with a <sysinfo>, -smbios type=1. */
	ident_of("/usr/bin/qemu-system-x86_64 -name guest=db-07,debug-threads=on -S "
		 "-object {\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\","
		 "\"file\":\"/var/lib/libvirt/qemu/domain-3-db-07/master-key.aes\"} "
		 "-machine pc-q35-7.2,usb=off,dump-guest-core=off -accel kvm -m 2048 "
		 "-smp 2,sockets=2,cores=1,threads=1 -uuid 5A2C4F10-8B1E-4F3A-9D77-0C3E1B2A4D5F "
		 "-no-user-config -nodefaults -chardev socket,id=charmonitor,fd=31,server=on,wait=off",
		 &id);
	want(&id, "5a2c4f10-8b1e-4f3a-9d77-0c3e1b2a4d5f", "db-07", NULL, NULL, NULL,
	     "libvirt: domain from guest=, uuid lowercased");

	/* KubeVirt's virt-launcher (its log of the QEMU command line, kubevirt
	 * issue #6567 and PR #7648): the domain is NAMESPACE_NAME, made by
	 * pkg/virt-launcher/virtwrap/util/libvirt_helper.go VMINamespaceKeyFunc
	 * -> DomainFromNamespaceName (fmt.Sprintf("%s_%s", namespace, name)),
	 * split back by SplitVMINamespaceKey at the first "_". */
	ident_of("/usr/libexec/qemu-kvm -name guest=default_vm-ubuntu-1,debug-threads=on -S "
		 "-object secret,id=masterKey0,format=raw,"
		 "file=/var/lib/libvirt/qemu/domain-1-default_vm-ubuntu-1/master-key.aes "
		 "-machine pc-q35-rhel9.2.0,usb=off,dump-guest-core=off -m 977 "
		 "-uuid 0e44be5a-ff12-52fb-9413-07b52f3593c3 "
		 "-smbios type=1,manufacturer=KubeVirt,product=None,uuid=0e44be5a-ff12-52fb-9413-07b52f3593c3,family=KubeVirt "
		 "-no-user-config -nodefaults -blockdev {\"driver\":\"file\","
		 "\"filename\":\"/var/run/kubevirt/container-disks/disk_0.img\",\"node-name\":\"libvirt-3-storage\"}",
		 &id);
	want(&id, "0e44be5a-ff12-52fb-9413-07b52f3593c3", "default_vm-ubuntu-1", "default", "vm-ubuntu-1", NULL,
	     "KubeVirt: namespace and name from the domain");

	/* A KubeVirt VM with its SMBIOS manufacturer changed by the cluster's
	 * config: the launcher's private directory still tells. */
	ident_of("/usr/libexec/qemu-kvm -name guest=team-a_web_01,debug-threads=on "
		 "-chardev socket,id=charserial0,path=/var/run/kubevirt-private/7b1c/virt-serial0 "
		 "-smbios type=1,manufacturer=Acme,product=None,uuid=11111111-2222-3333-4444-555555555555,family=Acme",
		 &id);
	want(&id, "11111111-2222-3333-4444-555555555555", "team-a_web_01", "team-a", "web_01", NULL,
	     "KubeVirt by its paths: uuid from -smbios, the name keeps its later underscores");

	/* Proxmox VE's qm start (qemu-server PVE/QemuServer.pm config_to_command:
	 * /usr/bin/kvm -id VMID -name NAME,debug-threads=on ... -smbios type=1,uuid=). */
	ident_of("/usr/bin/kvm -id 104 -name web01,debug-threads=on -no-shutdown "
		 "-chardev socket,id=qmp,path=/var/run/qemu-server/104.qmp,server=on,wait=off "
		 "-mon chardev=qmp,mode=control -pidfile /var/run/qemu-server/104.pid -daemonize "
		 "-smbios type=1,uuid=8a8f0a5e-7f3b-4c62-9d1b-2b9d4f1e0c11 -smp 2,sockets=1,cores=2,maxcpus=2 "
		 "-m 2048 -machine type=pc+pve0 -accel kvm",
		 &id);
	want(&id, "8a8f0a5e-7f3b-4c62-9d1b-2b9d4f1e0c11", NULL, NULL, NULL, "104",
	     "Proxmox: vmid, uuid from -smbios, no libvirt domain (no guest=)");

	ident_of("dirtyvm --vcpus 2 --name web01", &id);
	want(&id, NULL, NULL, NULL, NULL, NULL, "dirtyvm: none, all absent");
	ident_of("qemu-system-x86_64 -name guest=my_vm -uuid not-a-uuid -id 12x", &id);
	want(&id, NULL, "my_vm", NULL, NULL, NULL,
	     "a libvirt domain with '_' but no KubeVirt sign is no namespace; a bad uuid and -id absent");
	ident_of("qemu-system-x86_64 --uuid 5a2c4f108b1e4f3a9d770c3e1b2a4d5f -smbios type=1,uuid=11111111-2222-3333-4444-555555555555", &id);
	want(&id, "5a2c4f108b1e4f3a9d770c3e1b2a4d5f", NULL, NULL, NULL, NULL, "--uuid, undashed, before -smbios's");
	ident_of("qemu-system-x86_64 -smbios type=2,uuid=11111111-2222-3333-4444-555555555555 -uuid", &id);
	want(&id, NULL, NULL, NULL, NULL, NULL, "-smbios type=2 is no system uuid; -uuid without a value");
	{
		char cut[] = "qemu\0-uuid\0" "5a2c4f10-8b1e-4f3a-9d77-0c3e1b2a4d5f";

		vm_ident_from_cmdline(cut, sizeof(cut) - 1, &id);
		CHECK_STR(id.v[IDENT_UUID], "", "an unterminated last word is not read");
	}
	ident_of("qemu -name guest=ns_a\x1b[31m,x -smbios type=1,family=KubeVirt", &id);
	vm_ident_sanitize(&id);
	CHECK_STR(id.v[IDENT_DOMAIN], "ns_a?[31m", "identities made printable like names");
	CHECK_STR(id.v[IDENT_KV_NAME], "a?[31m", "... each of them");
	CHECK(vm_ident_matches("ns_a", "ns_a", &id) && !vm_ident_matches("x", "ns_a", &id), "--vm by name");
	ident_of("qemu -uuid 5A2C4F10-8B1E-4F3A-9D77-0C3E1B2A4D5F", &id);
	CHECK(vm_ident_matches("5A2C4F10-8b1e-4f3a-9d77-0c3e1b2a4d5f", "qemu", &id), "--vm by uuid, any case");
	CHECK(!vm_ident_matches("", "qemu", &(struct vm_ident){ 0 }), "an absent uuid matches nothing");
}

static void metrics_labels(void)
{
	struct om_vm v = { .pid = 7 };
	struct self_stats self = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(v.name, sizeof(v.name), "web");
	v.row.present[COL_FAULTS] = true;
	v.row.v[COL_FAULTS] = 3;
	snprintf(v.ident.v[IDENT_UUID], VM_IDENT_LEN, "5a2c4f10-8b1e-4f3a-9d77-0c3e1b2a4d5f");
	snprintf(v.ident.v[IDENT_NAMESPACE], VM_IDENT_LEN, "a\"b\\c\nd");
	f = open_memstream(&text, &len);
	om_render(f, &v, 1, &self, true);
	fclose(f);
	CHECK(strstr(text, "splittop_faults_total{vm=\"web\",pid=\"7\",uuid=\"5a2c4f10-8b1e-4f3a-9d77-0c3e1b2a4d5f\","
			   "namespace=\"a\\\"b\\\\c\\nd\"} 3\n") != NULL,
	      "identities as labels, escaped; absent ones no label: %s", text);
	CHECK(!strstr(text, "domain=") && !strstr(text, "vmid=") && !strstr(text, "name=\"\""), "no empty labels");
	free(text);
}

static void recording(void)
{
	struct vm_entry e = { .pid = 9, .seq = 1, .alive = true };
	struct record_reader r = { 0 };
	char line[1024], *text = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(e.name, sizeof(e.name), "db");
	snprintf(e.ident.v[IDENT_UUID], VM_IDENT_LEN, "5a2c4f10-8b1e-4f3a-9d77-0c3e1b2a4d5f");
	snprintf(e.ident.v[IDENT_VMID], VM_IDENT_LEN, "104");
	f = open_memstream(&text, &len);
	fprintf(f, "vm 9 1 x6462 uuid x");
	for (const char *s = e.ident.v[IDENT_UUID]; *s; s++)
		fprintf(f, "%02x", (unsigned char)*s);
	fprintf(f, " proxmox_vmid x313034\n");
	fclose(f);
	snprintf(line, sizeof(line), "%s", text);
	CHECK(record_read_line(&r, line) >= 0, "a vm line with identities reads");
	CHECK_STR(r.vm.name, "db", "its name");
	CHECK_STR(r.vm.ident.v[IDENT_UUID], e.ident.v[IDENT_UUID], "its uuid");
	CHECK_STR(r.vm.ident.v[IDENT_VMID], "104", "its vmid");
	CHECK_STR(r.vm.ident.v[IDENT_DOMAIN], "", "an identity not written stays absent");
	snprintf(line, sizeof(line), "vm 9 1 x6462\n");
	CHECK(record_read_line(&r, line) >= 0 && !r.vm.ident.v[IDENT_UUID][0], "an old vm line: none");
	snprintf(line, sizeof(line), "vm 9 1 x6462 colour x41\n");
	CHECK(record_read_line(&r, line) < 0, "an unknown identity is a malformed line");
	free(text);
}

int main(void)
{
	forms();
	metrics_labels();
	recording();
	return unit_done();
}

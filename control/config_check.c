/* SPDX-License-Identifier: MIT */
/*
 * Checks no single directive can make: lines that can never take effect,
 * ranges that contradict each other, addresses the server itself owns; and
 * checks against the machine (boot files in tftp-root, interfaces).
 *
 * Severity rule: an error means the configuration cannot mean what was
 * written (a line that never takes effect, a rogue DHCP range beside a proxy
 * one); a warning means it works but something is probably not intended; a
 * note explains a consequence the operator may have chosen on purpose.
 */
#include "config_int.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- across directives ------------------------------------------------ */

/* a matches every tag set b matches: b is dead when a comes first */
static bool tagexpr_covers(const struct bs_tagexpr *a, const struct bs_tagexpr *b)
{
	return (a->need & ~b->need) == 0 && (a->forbid & ~b->forbid) == 0;
}

static void describe_tags(const struct bs_policy *p, const struct bs_tagexpr *e, char *buf,
			  size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->ntags && len < size; i++) {
		bool need = e->need >> i & 1, forbid = e->forbid >> i & 1;

		if (need || forbid)
			len += (size_t)snprintf(buf + len, size - len, "%stag:%s%s", len ? "," : "",
						forbid ? "!" : "", p->tag_names[i]);
	}
	if (!len)
		snprintf(buf, size, "no tag conditions");
}

static void check_boots(struct cfg_ctx *c)
{
	const struct bs_policy *p = c->pol;

	for (size_t j = 1; j < p->nboots; j++)
		for (size_t i = 0; i < j; i++) {
			const struct bs_boot *a = &p->boots[i], *b = &p->boots[j];
			char tags[128];

			if (!tagexpr_covers(&a->match, &b->match))
				continue;
			describe_tags(p, &a->match, tags, sizeof(tags));
			cfg_diag_at(c, BS_DIAG_ERROR, b->origin.file, b->origin.line,
				    "dhcp-boot: this line can never take effect: line %d "
				    "(dhcp-boot=%s, %s) matches every client it would, and the "
				    "first matching dhcp-boot wins; remove one, or give them "
				    "different tag: conditions",
				    a->origin.line, a->file, tags);
			break;
		}
	for (size_t j = 1; j < p->nprompts; j++)
		for (size_t i = 0; i < j; i++) {
			const struct bs_pxe_prompt *a = &p->prompts[i], *b = &p->prompts[j];

			if (!tagexpr_covers(&a->match, &b->match))
				continue;
			cfg_diag_at(c, BS_DIAG_ERROR, b->origin.file, b->origin.line,
				    "pxe-prompt: this line can never take effect: line %d matches "
				    "every client it would, and the first matching pxe-prompt wins",
				    a->origin.line);
			break;
		}
}

static void check_ranges(struct cfg_ctx *c)
{
	const struct bs_policy *p = c->pol;
	const struct bs_config *cfg = c->cfg;
	char s1[16], s2[16], s3[16], s4[16];

	for (size_t i = 0; i < p->nranges; i++) {
		const struct bs_range *full = &p->ranges[i];

		if (full->proxy)
			continue;
		for (size_t j = 0; j < p->nranges; j++) {
			const struct bs_range *px = &p->ranges[j];
			const struct bs_range *later = i > j ? full : px;
			uint32_t mask = px->netmask ? px->netmask : full->netmask;
			bool assumed = !mask;

			if (!px->proxy)
				continue;
			/* Without a netmask the interface decides; a /24 is the usual. */
			if (!mask)
				mask = 0xffffff00u;
			if ((px->start & mask) != (full->start & mask) &&
			    (px->start & mask) != (full->end & mask))
				continue;
			cfg_diag_at(
			    c, BS_DIAG_ERROR, later->origin.file, later->origin.line,
			    "dhcp-range: an address range %s-%s (line %d) and a proxy range "
			    "(line %d) on the same subnet %s/%d%s: choose one: beside an "
			    "existing DHCP server keep only the proxy range; to hand out "
			    "addresses yourself keep only the address range",
			    cfg_ip_str(full->start, s1), cfg_ip_str(full->end, s2),
			    full->origin.line, px->origin.line, cfg_ip_str(px->start & mask, s3),
			    __builtin_popcount(mask),
			    assumed ? " (assuming a /24: no netmask given)" : "");
		}
		for (unsigned k = 0; k < cfg->nlisten; k++) {
			uint32_t ip = cfg->listen[k];

			if (ip < full->start || ip > full->end)
				continue;
			cfg_diag_at(c, BS_DIAG_WARNING, full->origin.file, full->origin.line,
				    "dhcp-range: %s-%s contains this server's own listen-address "
				    "%s (line %d): it would be offered to a client; start the "
				    "range after it",
				    cfg_ip_str(full->start, s1), cfg_ip_str(full->end, s2),
				    cfg_ip_str(ip, s3), cfg->listen_origin[k].line);
		}
		for (size_t j = 0; j < i; j++) {
			const struct bs_range *o = &p->ranges[j];

			if (o->proxy || o->start > full->end || full->start > o->end ||
			    o->match.need != full->match.need ||
			    o->match.forbid != full->match.forbid)
				continue;
			cfg_diag_at(c, BS_DIAG_ERROR, full->origin.file, full->origin.line,
				    "dhcp-range: %s-%s overlaps the range on line %d (%s-%s): an "
				    "address would belong to two ranges",
				    cfg_ip_str(full->start, s1), cfg_ip_str(full->end, s2),
				    o->origin.line, cfg_ip_str(o->start, s3),
				    cfg_ip_str(o->end, s4));
		}
	}
	if (p->nranges == 0 && (p->nboots || p->nservices || p->nhosts)) {
		const struct bs_origin *o = p->nboots	   ? &p->boots[0].origin
					    : p->nservices ? &p->services[0].origin
							   : &p->hosts[0].origin;

		cfg_diag_at(c, BS_DIAG_WARNING, o->file, o->line,
			    "there is no dhcp-range, so bootstorm answers no DHCP request and "
			    "this is never sent; add dhcp-range=ADDRESS,proxy beside an existing "
			    "DHCP server, or an address range");
	}
}

static void check_services(struct cfg_ctx *c)
{
	const struct bs_policy *p = c->pol;
	bool uefi = false;

	for (size_t i = 0; i < p->nservices; i++)
		uefi |= p->services[i].csa != 0 && p->services[i].csa != 1;
	if (p->nservices && !uefi)
		cfg_diag_at(c, BS_DIAG_NOTE, p->services[0].origin.file, p->services[0].origin.line,
			    "pxe-service: there are entries for BIOS clients (x86PC) only: UEFI "
			    "clients (X86-64_EFI, BC_EFI, IA32_EFI, ARM64_EFI) get no PXE menu "
			    "from bootstorm and boot only if another server answers them");
}

static void tag_never_set(struct cfg_ctx *c, bs_tagset set, const struct bs_origin *o,
			  const struct bs_tagexpr *e)
{
	bs_tagset never = e->need & ~set;
	const char *name;

	if (!never)
		return;
	name = c->pol->tag_names[__builtin_ctzll(never)];
	cfg_diag_at(c, BS_DIAG_WARNING, o->file, o->line,
		    "tag:%s is never set (no set:%s or interface=%s anywhere): this line never "
		    "matches",
		    name, name, name);
}

/* A tag condition on a tag nothing sets: the line never matches. */
static void check_tags(struct cfg_ctx *c)
{
	const struct bs_policy *p = c->pol;
	bs_tagset set = (1ull << BS_TAG_BUILTIN_COUNT) - 1;

	for (unsigned i = 0; i < c->cfg->nifaces; i++) {
		int t = bs_policy_tag_index(p, c->cfg->ifaces[i]);

		if (t >= 0)
			set |= 1ull << t;
	}
	for (size_t i = 0; i < p->nranges; i++)
		set |= p->ranges[i].set;
	for (size_t i = 0; i < p->nhosts; i++)
		set |= p->hosts[i].set;
	for (size_t i = 0; i < p->nmatches; i++)
		set |= p->matches[i].set;
	for (size_t i = 0; i < p->ntag_ifs; i++)
		set |= p->tag_ifs[i].set;
	for (size_t i = 0; i < p->nranges; i++)
		tag_never_set(c, set, &p->ranges[i].origin, &p->ranges[i].match);
	for (size_t i = 0; i < p->nboots; i++)
		tag_never_set(c, set, &p->boots[i].origin, &p->boots[i].match);
	for (size_t i = 0; i < p->nservices; i++)
		tag_never_set(c, set, &p->services[i].origin, &p->services[i].match);
	for (size_t i = 0; i < p->nprompts; i++)
		tag_never_set(c, set, &p->prompts[i].origin, &p->prompts[i].match);
	for (size_t i = 0; i < p->ntag_ifs; i++)
		tag_never_set(c, set, &p->tag_ifs[i].origin, &p->tag_ifs[i].match);
	for (size_t i = 0; i < p->noptions; i++)
		tag_never_set(c, set, &p->options[i].origin, &p->options[i].match);
}

static void check_hosts(struct cfg_ctx *c)
{
	const struct bs_policy *p = c->pol;

	for (size_t j = 1; j < p->nhosts; j++)
		for (size_t i = 0; i < j; i++) {
			const struct bs_host *a = &p->hosts[i], *b = &p->hosts[j];

			if (memcmp(a->mac, b->mac, 6) == 0) {
				cfg_diag_at(
				    c, BS_DIAG_ERROR, b->origin.file, b->origin.line,
				    "dhcp-host: MAC %02x:%02x:%02x:%02x:%02x:%02x is already "
				    "given on line %d",
				    b->mac[0], b->mac[1], b->mac[2], b->mac[3], b->mac[4],
				    b->mac[5], a->origin.line);
				break;
			}
			if (a->ip && a->ip == b->ip) {
				char s[16];

				cfg_diag_at(
				    c, BS_DIAG_ERROR, b->origin.file, b->origin.line,
				    "dhcp-host: address %s is already given to another MAC on "
				    "line %d",
				    cfg_ip_str(b->ip, s), a->origin.line);
				break;
			}
		}
}

static void check_host_addresses(struct cfg_ctx *c)
{
	const struct bs_policy *p = c->pol;
	char s[16];

	for (size_t i = 0; i < p->nhosts; i++)
		for (unsigned k = 0; k < c->cfg->nlisten; k++)
			if (p->hosts[i].ip && p->hosts[i].ip == c->cfg->listen[k])
				cfg_diag_at(
				    c, BS_DIAG_ERROR, p->hosts[i].origin.file,
				    p->hosts[i].origin.line,
				    "dhcp-host: %s is this server's own listen-address (line "
				    "%d); a client cannot have it",
				    cfg_ip_str(p->hosts[i].ip, s), c->cfg->listen_origin[k].line);
}

void cfg_check_policy(struct cfg_ctx *c)
{
	check_host_addresses(c);
	check_boots(c);
	check_ranges(c);
	check_services(c);
	check_hosts(c);
	check_tags(c);
}

/* ---- against the machine ---------------------------------------------- */

static void env_diag(struct bs_diags *d, int level, const struct bs_origin *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void env_diag(struct bs_diags *d, int level, const struct bs_origin *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vdiag(d, level, o && o->file ? o->file : NULL, o ? o->line : 0, fmt, ap);
	va_end(ap);
}

static bool is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool ours(const struct bs_config *cfg, uint32_t server_ip)
{
	if (!server_ip)
		return true;
	for (unsigned i = 0; i < cfg->nlisten; i++)
		if (cfg->listen[i] == server_ip)
			return true;
	/* No listen-address: we cannot tell, so check the file anyway. */
	return cfg->nlisten == 0;
}

/* name as sent to the client; check it under tftp-root. */
static void check_boot_file(const struct bs_config *cfg, struct bs_diags *d,
			    const struct bs_origin *o, const char *directive, const char *name,
			    const char *written)
{
	char path[4096 + 256], alt[4096 + 260];
	const char *rel = name;

	while (*rel == '/')
		rel++;
	snprintf(path, sizeof(path), "%s/%s", cfg->tftp_root, rel);
	if (is_regular(path)) {
		if (access(path, R_OK) != 0)
			env_diag(d, BS_DIAG_WARNING, o, "%s: %s is not readable", directive, path);
		return;
	}
	snprintf(alt, sizeof(alt), "%s.0", path);
	if (strcmp(name, written) == 0 && is_regular(alt)) {
		env_diag(d, BS_DIAG_ERROR, o,
			 "%s: boot file %s not found in tftp-root %s, but %s.0 is there: did you "
			 "mean %s.0?",
			 directive, name, cfg->tftp_root, name, name);
		return;
	}
	snprintf(alt, sizeof(alt), "%s/%s", cfg->tftp_root, written);
	if (strcmp(name, written) != 0 && is_regular(alt)) {
		env_diag(d, BS_DIAG_ERROR, o,
			 "%s: boot file %s not found in tftp-root %s (pxe-service appends the PXE "
			 "layer suffix .0 to %s); %s exists: rename it to %s",
			 directive, name, cfg->tftp_root, written, written, name);
		return;
	}
	env_diag(d, BS_DIAG_ERROR, o, "%s: boot file %s not found in tftp-root %s", directive, name,
		 cfg->tftp_root);
}

static void check_listen_addresses(const struct bs_config *cfg, struct bs_diags *d)
{
	struct ifaddrs *ifa, *it;
	char s[16];

	if (!cfg->nlisten || getifaddrs(&ifa) != 0)
		return;
	for (unsigned i = 0; i < cfg->nlisten; i++) {
		bool found = false;

		for (it = ifa; it && !found; it = it->ifa_next)
			if (it->ifa_addr && it->ifa_addr->sa_family == AF_INET)
				found = ntohl(((struct sockaddr_in *)(void *)it->ifa_addr)
						  ->sin_addr.s_addr) == cfg->listen[i];
		if (!found)
			env_diag(d, BS_DIAG_WARNING, &cfg->listen_origin[i],
				 "listen-address: %s is not assigned to any interface of this "
				 "machine",
				 cfg_ip_str(cfg->listen[i], s));
	}
	freeifaddrs(ifa);
}

/*
 * user= and group= name existing ids. A lookup that fails (not "no such
 * name": the sandboxed dataplane running `config check` cannot read
 * /etc/passwd) is a note, not an error: start-up looks them up again.
 * errno: as the lookup left it.
 */
static void check_id(struct bs_diags *diags, const struct bs_origin *o, const char *what,
		     const char *name, bool found, const char *db)
{
	int err = errno;

	if (found)
		return;
	/* getpwnam(3): these (or none) mean "not found" */
	if (err && err != ENOENT && err != ESRCH && err != EBADF && err != EPERM)
		env_diag(diags, BS_DIAG_NOTE, o, "%s: cannot look up %s: %s", what, name,
			 strerror(err));
	else
		env_diag(diags, BS_DIAG_ERROR, o, "%s: no %s %s on this machine (see getent %s)",
			 what, what, name, db);
}

static void check_ids(const struct bs_config *cfg, struct bs_diags *diags)
{
	bool found;

	if (cfg->run_user[0]) {
		errno = 0;
		found = getpwnam(cfg->run_user) != NULL;
		check_id(diags, &cfg->run_user_origin, "user", cfg->run_user, found, "passwd");
	}
	if (cfg->run_group[0]) {
		errno = 0;
		found = getgrnam(cfg->run_group) != NULL;
		check_id(diags, &cfg->run_group_origin, "group", cfg->run_group, found, "group");
	}
}

void bs_config_check_environment(const struct bs_config *cfg, struct bs_diags *diags)
{
	const struct bs_policy *p = cfg->policy;
	const struct bs_origin *root_o = cfg->tftp_root_origin.file ? &cfg->tftp_root_origin : NULL;
	struct stat st;

	for (unsigned i = 0; i < cfg->nifaces; i++)
		if (if_nametoindex(cfg->ifaces[i]) == 0)
			env_diag(diags, BS_DIAG_ERROR, &cfg->iface_origin[i],
				 "interface: %s does not exist on this machine (see ip link)",
				 cfg->ifaces[i]);
	check_listen_addresses(cfg, diags);
	check_ids(cfg, diags);
	if (!cfg->tftp_enabled)
		return;
	if (stat(cfg->tftp_root, &st) != 0) {
		env_diag(diags, BS_DIAG_ERROR, root_o, "tftp-root: %s: %s", cfg->tftp_root,
			 strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		env_diag(diags, BS_DIAG_ERROR, root_o, "tftp-root: %s is not a directory",
			 cfg->tftp_root);
		return;
	}
	for (size_t i = 0; p && i < p->nboots; i++) {
		const struct bs_boot *b = &p->boots[i];

		if (strstr(b->file, "://") || !ours(cfg, b->server_ip))
			continue;
		check_boot_file(cfg, diags, &b->origin, "dhcp-boot", b->file, b->file);
	}
	for (size_t i = 0; p && i < p->nservices; i++) {
		const struct bs_pxe_service *s = &p->services[i];
		const char *base = strrchr(s->basename, '/');
		char name[sizeof(s->basename) + 2];

		if (!s->basename[0] || !ours(cfg, s->server_ip))
			continue;
		base = base ? base + 1 : s->basename;
		snprintf(name, sizeof(name), "%s%s", s->basename, strchr(base, '.') ? "" : ".0");
		check_boot_file(cfg, diags, &s->origin, "pxe-service", name, s->basename);
	}
}

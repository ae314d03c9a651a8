/* SPDX-License-Identifier: MIT */
/*
 * Statistics of a storm: per-phase latency percentiles (DHCP = DISCOVER to
 * ACK, loader = ACK to the loader's last block, files = loader to the last
 * block of the initrd, total = first DISCOVER to done), time until all
 * clients finished, failures by reason, retransmissions, and 100 ms buckets
 * of TFTP bytes and clients done. Printed as text and written as JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "storm.h"

#define BUCKET_NS (100 * NS_PER_MS)

void storm_bucket_add(struct storm *s, uint64_t now, uint64_t bytes, unsigned done)
{
	uint64_t b = (now - s->t0) / BUCKET_NS;

	if (b >= s->st.nbuckets) {
		uint32_t n = s->st.nbuckets ? s->st.nbuckets : 64;
		uint64_t *nb, *nh;
		uint32_t *nd;

		while (n <= b)
			n *= 2;
		nb = realloc(s->st.bucket_bytes, n * sizeof(*nb));
		if (nb)
			s->st.bucket_bytes = nb;
		nd = realloc(s->st.bucket_done, n * sizeof(*nd));
		if (nd)
			s->st.bucket_done = nd;
		nh = realloc(s->st.bucket_http, n * sizeof(*nh));
		if (nh)
			s->st.bucket_http = nh;
		if (!nb || !nd || !nh)
			return;
		memset(nb + s->st.nbuckets, 0, (n - s->st.nbuckets) * sizeof(*nb));
		memset(nh + s->st.nbuckets, 0, (n - s->st.nbuckets) * sizeof(*nh));
		memset(nd + s->st.nbuckets, 0, (n - s->st.nbuckets) * sizeof(*nd));
		s->st.nbuckets = n;
	}
	s->st.bucket_bytes[b] += bytes;
	s->st.bucket_done[b] += done;
}

void storm_bucket_add_http(struct storm *s, uint64_t now, uint64_t bytes)
{
	storm_bucket_add(s, now, 0, 0); /* grows the arrays */
	if (s->st.bucket_http && (now - s->t0) / BUCKET_NS < s->st.nbuckets)
		s->st.bucket_http[(now - s->t0) / BUCKET_NS] += bytes;
}

struct pct {
	uint64_t n;
	double p50, p90, p99, max; /* milliseconds */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double at(const uint64_t *v, uint64_t n, double q)
{
	/* nearest rank */
	uint64_t r = (uint64_t)(q * (double)n + 0.999999);

	if (r < 1)
		r = 1;
	if (r > n)
		r = n;
	return (double)v[r - 1] / 1e6;
}

enum { PHASE_DHCP, PHASE_LOADER, PHASE_FILES, PHASE_TOTAL, NPHASES };
static const char *const phase_name[NPHASES] = {"dhcp", "loader", "kernel_initrd", "total"};

static void phase_stats(const struct storm *s, struct pct out[NPHASES])
{
	uint64_t *v = malloc(((size_t)s->cfg.clients + 1) * sizeof(*v));

	for (int ph = 0; ph < NPHASES; ph++) {
		uint64_t n = 0;

		for (uint32_t i = 0; i < s->cfg.clients && v; i++) {
			const struct storm_client *c = &s->c[i];
			uint64_t a = 0, b = 0;

			switch (ph) {
			case PHASE_DHCP:
				a = c->t_start, b = c->t_dhcp;
				break;
			case PHASE_LOADER:
				a = c->t_dhcp, b = c->t_loader;
				break;
			case PHASE_FILES:
				if (c->files_phase)
					a = c->t_loader, b = c->t_done;
				break;
			case PHASE_TOTAL:
				a = c->t_start, b = c->t_done;
				break;
			}
			if (a && b >= a)
				v[n++] = b - a;
		}
		memset(&out[ph], 0, sizeof(out[ph]));
		out[ph].n = n;
		if (!n)
			continue;
		qsort(v, n, sizeof(*v), cmp_u64);
		out[ph].p50 = at(v, n, 0.50);
		out[ph].p90 = at(v, n, 0.90);
		out[ph].p99 = at(v, n, 0.99);
		out[ph].max = (double)v[n - 1] / 1e6;
	}
	free(v);
}

/* seconds from the first start until the first client finished */
static double first_done_s(const struct storm *s)
{
	uint64_t first = UINT64_MAX;

	for (uint32_t i = 0; i < s->cfg.clients; i++)
		if (s->c[i].t_done && s->c[i].t_done < first)
			first = s->c[i].t_done;
	return first != UINT64_MAX ? (double)(first - s->t0) / 1e9 : 0;
}

/* seconds from the first start until the last client finished */
static double all_done_s(const struct storm *s)
{
	uint64_t last = 0;

	for (uint32_t i = 0; i < s->cfg.clients; i++)
		if (s->c[i].t_done > last)
			last = s->c[i].t_done;
	return last ? (double)(last - s->t0) / 1e9 : 0;
}

/* clients, done, failed per kind of client */
static void kind_counts(const struct storm *s, uint64_t n[KIND_MAX][3])
{
	memset(n, 0, sizeof(uint64_t) * KIND_MAX * 3);
	for (uint32_t i = 0; i < s->cfg.clients; i++) {
		const struct storm_client *c = &s->c[i];

		n[c->kind][0]++;
		n[c->kind][1] += c->phase == PH_DONE;
		n[c->kind][2] += c->phase == PH_FAILED;
	}
}

/* the generator's own CPU seconds: if it nears the wall time, the generator
 * and not the server is what was measured */
static double self_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void storm_report(struct storm *s, FILE *out)
{
	struct pct p[NPHASES];
	const struct storm_stats *st = &s->st;
	uint64_t tx, txe, rx, rxd, kinds[KIND_MAX][3];

	phase_stats(s, p);
	storm_io_stats(s->io, &tx, &txe, &rx, &rxd);
	fprintf(out,
		"%s: %u clients, %llu done, %llu failed, first done after %.3f s, all done after "
		"%.3f s%s\n",
		s->cfg.label ? s->cfg.label : "storm", s->cfg.clients, (unsigned long long)st->done,
		(unsigned long long)st->failed, first_done_s(s), all_done_s(s),
		st->done == s->cfg.clients ? "" : " (not all)");
	kind_counts(s, kinds);
	fprintf(out, "  clients by type:");
	for (int k = 0; k < KIND_MAX; k++)
		if (kinds[k][0])
			fprintf(out, " %s %llu (done %llu, failed %llu)", storm_kind_name[k],
				(unsigned long long)kinds[k][0], (unsigned long long)kinds[k][1],
				(unsigned long long)kinds[k][2]);
	fprintf(out, "\n");
	fprintf(out, "  %-14s %8s %10s %10s %10s %10s\n", "phase (ms)", "n", "p50", "p90", "p99",
		"max");
	for (int i = 0; i < NPHASES; i++)
		fprintf(out, "  %-14s %8llu %10.1f %10.1f %10.1f %10.1f\n", phase_name[i],
			(unsigned long long)p[i].n, p[i].p50, p[i].p90, p[i].p99, p[i].max);
	for (int i = 1; i < FAIL_MAX; i++)
		if (st->fail[i])
			fprintf(out, "  failed %-20s %llu\n", storm_fail_name[i],
				(unsigned long long)st->fail[i]);
	for (int i = 0; i < 9; i++)
		if (st->tftp_err_code[i])
			fprintf(out, "  TFTP ERROR code %d%s: %llu\n", i, i == 8 ? "+" : "",
				(unsigned long long)st->tftp_err_code[i]);
	fprintf(out,
		"  retransmissions: DISCOVER %llu, REQUEST %llu, RRQ %llu, ACK (timeout) %llu;"
		" DATA out of order %llu, duplicate %llu\n",
		(unsigned long long)st->dhcp_discover_retx,
		(unsigned long long)st->dhcp_request_retx, (unsigned long long)st->tftp_rrq_retx,
		(unsigned long long)st->tftp_ack_retx, (unsigned long long)st->tftp_data_ooo,
		(unsigned long long)st->tftp_data_dup);
	fprintf(out,
		"  TFTP %.1f MiB; frames tx %llu (errors %llu) rx %llu (ring drops %llu);"
		" ARP answered %llu\n",
		(double)st->tftp_bytes / 1048576.0, (unsigned long long)tx, (unsigned long long)txe,
		(unsigned long long)rx, (unsigned long long)rxd,
		(unsigned long long)st->arp_reply_tx);
	if (st->http_requests || st->http_connects)
		fprintf(out,
			"  HTTP %.1f MiB in %llu files; requests %llu, connections %llu, retries "
			"%llu, bad status %llu; ARP for servers %llu\n",
			(double)st->http_bytes / 1048576.0, (unsigned long long)st->http_files,
			(unsigned long long)st->http_requests,
			(unsigned long long)st->http_connects, (unsigned long long)st->http_retries,
			(unsigned long long)st->http_bad_status,
			(unsigned long long)st->arp_resolve_tx);
	if (s->cfg.proxy)
		fprintf(out,
			"  proxy: offers %llu, port 4011 requests %llu (retransmitted %llu), ACKs "
			"%llu\n",
			(unsigned long long)st->proxy_offer_rx, (unsigned long long)st->bootsrv_tx,
			(unsigned long long)st->bootsrv_retx,
			(unsigned long long)st->bootsrv_ack_rx);
	fprintf(out, "  generator CPU %.2f s in %.2f s\n", self_cpu_s(),
		(double)(s->t_end - s->t0) / 1e9);
}

static void json_pct(FILE *f, const char *name, const struct pct *p, bool last)
{
	fprintf(f,
		"    \"%s\": {\"n\": %llu, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
		"\"max\": %.3f}%s\n",
		name, (unsigned long long)p->n, p->p50, p->p90, p->p99, p->max, last ? "" : ",");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

int storm_report_json(struct storm *s, const char *path)
{
	struct pct p[NPHASES];
	const struct storm_stats *st = &s->st;
	uint64_t tx, txe, rx, rxd, cum = 0, kinds[KIND_MAX][3];
	uint32_t nb = s->end_bucket;
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	phase_stats(s, p);
	storm_io_stats(s->io, &tx, &txe, &rx, &rxd);
	fprintf(f, "{\n  \"label\": ");
	json_str(f, s->cfg.label ? s->cfg.label : "storm");
	fprintf(f,
		",\n  \"config\": {\"clients\": %u, \"rate\": %.3f, \"blksize\": %u, "
		"\"windowsize\": %u, \"tsize\": %s, \"time_scale\": %.4f, \"rx_ring\": \"v%d\", "
		"\"tsize_probe\": %s, \"ipxe_pct\": %u, \"proxy\": %s, "
		"\"files\": [",
		s->cfg.clients, s->cfg.rate, s->cfg.blksize, s->cfg.windowsize,
		s->cfg.tsize ? "true" : "false", s->cfg.time_scale, s->cfg.rx_ring,
		s->cfg.tsize_probe ? "true" : "false", s->cfg.ipxe_pct,
		s->cfg.proxy ? "true" : "false");
	for (unsigned i = 0; i < s->cfg.nfiles; i++) {
		fputs(i ? ", " : "", f);
		json_str(f, i ? s->cfg.files[i] : "(from DHCP)");
	}
	fprintf(f, "]},\n");
	fprintf(f, "  \"clients\": %u,\n  \"done\": %llu,\n  \"failed\": %llu,\n", s->cfg.clients,
		(unsigned long long)st->done, (unsigned long long)st->failed);
	kind_counts(s, kinds);
	fprintf(f, "  \"types\": {");
	for (int k = 0; k < KIND_MAX; k++)
		fprintf(f, "%s\"%s\": {\"clients\": %llu, \"done\": %llu, \"failed\": %llu}",
			k ? ", " : "", storm_kind_name[k], (unsigned long long)kinds[k][0],
			(unsigned long long)kinds[k][1], (unsigned long long)kinds[k][2]);
	fprintf(f, "},\n");
	fprintf(f, "  \"first_done_s\": %.6f,\n", first_done_s(s));
	fprintf(f, "  \"all_done_s\": %.6f,\n  \"run_s\": %.6f,\n", all_done_s(s),
		(double)(s->t_end - s->t0) / 1e9);
	fprintf(f, "  \"generator_cpu_s\": %.3f,\n", self_cpu_s());
	fprintf(f, "  \"phases_ms\": {\n");
	for (int i = 0; i < NPHASES; i++)
		json_pct(f, phase_name[i], &p[i], i == NPHASES - 1);
	fprintf(f, "  },\n  \"failures\": {");
	for (int i = 1; i < FAIL_MAX; i++)
		fprintf(f, "%s\"%s\": %llu", i > 1 ? ", " : "", storm_fail_name[i],
			(unsigned long long)st->fail[i]);
	fprintf(f, "},\n  \"tftp_error_codes\": {");
	for (int i = 0; i < 9; i++)
		fprintf(f, "%s\"%d\": %llu", i ? ", " : "", i,
			(unsigned long long)st->tftp_err_code[i]);
	fprintf(f,
		"},\n  \"retransmissions\": {\"discover\": %llu, \"request\": %llu, "
		"\"rrq\": %llu, \"ack_timeout\": %llu},\n",
		(unsigned long long)st->dhcp_discover_retx,
		(unsigned long long)st->dhcp_request_retx, (unsigned long long)st->tftp_rrq_retx,
		(unsigned long long)st->tftp_ack_retx);
	fprintf(f,
		"  \"counters\": {\"discover_tx\": %llu, \"request_tx\": %llu, "
		"\"offer_rx\": %llu, \"ack_rx\": %llu, \"nak_rx\": %llu, \"rrq_tx\": %llu, "
		"\"tftp_ack_tx\": %llu, \"data_rx\": %llu, \"data_out_of_order\": %llu, "
		"\"data_duplicate\": %llu, \"tsize_probes\": %llu, \"tftp_bytes\": %llu, "
		"\"arp_requests\": %llu, "
		"\"arp_replies\": %llu, \"offers_ignored\": %llu, \"rx_other\": %llu, "
		"\"frames_tx\": %llu, "
		"\"tx_errors\": %llu, \"frames_rx\": %llu, \"ring_drops\": %llu, "
		"\"loss_dropped\": %llu},\n",
		(unsigned long long)st->dhcp_discover_tx, (unsigned long long)st->dhcp_request_tx,
		(unsigned long long)st->dhcp_offer_rx, (unsigned long long)st->dhcp_ack_rx,
		(unsigned long long)st->dhcp_nak_rx, (unsigned long long)st->tftp_rrq_tx,
		(unsigned long long)st->tftp_ack_tx, (unsigned long long)st->tftp_data_rx,
		(unsigned long long)st->tftp_data_ooo, (unsigned long long)st->tftp_data_dup,
		(unsigned long long)st->tftp_probes, (unsigned long long)st->tftp_bytes,
		(unsigned long long)st->arp_req_rx, (unsigned long long)st->arp_reply_tx,
		(unsigned long long)st->offer_ignored, (unsigned long long)st->rx_unknown,
		(unsigned long long)tx, (unsigned long long)txe, (unsigned long long)rx,
		(unsigned long long)rxd, (unsigned long long)st->rx_dropped);
	fprintf(f, "  \"http\": {\"base\": ");
	json_str(f, s->cfg.http_base ? s->cfg.http_base : "");
	fprintf(f,
		", \"bytes\": %llu, \"files\": %llu, \"requests\": %llu, "
		"\"connections\": %llu, \"retries\": %llu, \"bad_status\": %llu, "
		"\"arp_resolve_tx\": %llu},\n",
		(unsigned long long)st->http_bytes, (unsigned long long)st->http_files,
		(unsigned long long)st->http_requests, (unsigned long long)st->http_connects,
		(unsigned long long)st->http_retries, (unsigned long long)st->http_bad_status,
		(unsigned long long)st->arp_resolve_tx);
	fprintf(f,
		"  \"proxy\": {\"offers\": %llu, \"bootsrv_tx\": %llu, \"bootsrv_retx\": %llu, "
		"\"bootsrv_ack\": %llu},\n",
		(unsigned long long)st->proxy_offer_rx, (unsigned long long)st->bootsrv_tx,
		(unsigned long long)st->bootsrv_retx, (unsigned long long)st->bootsrv_ack_rx);
	/* 100 ms buckets: t (s), MB/s of TFTP payload, clients done in the
	 * bucket, clients done so far, MB/s of HTTP payload (last: older
	 * readers index the first four) */
	fprintf(f, "  \"bucket_ms\": 100,\n  \"timeline\": [");
	for (uint32_t b = 0; b < nb && b < s->st.nbuckets; b++) {
		cum += s->st.bucket_done[b];
		fprintf(f, "%s\n    [%.1f, %.3f, %u, %llu, %.3f]", b ? "," : "",
			(double)(b + 1) / 10.0, (double)s->st.bucket_bytes[b] * 10.0 / 1e6,
			s->st.bucket_done[b], (unsigned long long)cum,
			(double)s->st.bucket_http[b] * 10.0 / 1e6);
	}
	fprintf(f, "\n  ],\n  \"timeline_columns\": [\"t_s\", \"tftp_MBps\", \"done\", "
		   "\"done_total\", \"http_MBps\"]\n}\n");
	return fclose(f) ? -errno : 0;
}

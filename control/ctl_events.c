/* SPDX-License-Identifier: MIT */
/*
 * The events stream (ctl_events.h, docs/control.md "events").
 */
#include "ctl_events.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/lease.h"
#include "util/events.h"

/* An event line is shorter than this (the file name escaped 6x at most):
   with less room, a matching event is counted lost without formatting. */
#define CTL_EV_LINE_MAX 1024

struct ctl_stream {
	struct bs_ctl_sub f;
	unsigned nrings;
	uint64_t lost; /* not reported yet */
	uint64_t cur[BS_CTL_MAX_RINGS];
	bool has[BS_CTL_MAX_RINGS];
	struct bs_event next[BS_CTL_MAX_RINGS]; /* read ahead, for the merge */
};

struct ctl_stream *ctl_stream_new(const struct bs_ctl_env *env, const struct bs_ctl_sub *f)
{
	struct ctl_stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->f = *f;
	s->nrings = env->nev_rings < BS_CTL_MAX_RINGS ? env->nev_rings : BS_CTL_MAX_RINGS;
	for (unsigned i = 0; i < s->nrings; i++)
		s->cur[i] = bs_ev_head(env->ev_rings[i]);
	return s;
}

void ctl_stream_free(struct ctl_stream *s)
{
	free(s);
}

/* Read ahead one record per ring; records a ring lapped count lost (of
   any type: the filter cannot know). */
static void fill(struct ctl_stream *s, const struct bs_ctl_env *env, uint64_t *lost)
{
	for (unsigned i = 0; i < s->nrings; i++) {
		uint64_t missed = 0;

		if (!s->has[i])
			s->has[i] = bs_ev_read(env->ev_rings[i], &s->cur[i], &s->next[i], &missed);
		s->lost += missed;
		*lost += missed;
	}
}

/* The oldest record read ahead, across rings. */
static bool take(struct ctl_stream *s, struct bs_event *ev)
{
	int best = -1;

	for (unsigned i = 0; i < s->nrings; i++)
		if (s->has[i] && (best < 0 || s->next[i].mono_ms < s->next[best].mono_ms))
			best = (int)i;
	if (best < 0)
		return false;
	*ev = s->next[best];
	s->has[best] = false;
	return true;
}

static const uint8_t no_mac[6];

/* TFTP and HTTP producers may not see the client's MAC (the socket
   backend does not): the lease of its address tells it. */
static void fill_mac(const struct bs_ctl_env *env, struct bs_event *ev, time_t now)
{
	const struct lease *l;

	if (memcmp(ev->mac, no_mac, 6) != 0 || !ev->ip || !env->leases)
		return;
	l = lease_find_ip(env->leases, ev->ip);
	if (lease_live(l, now))
		memcpy(ev->mac, l->mac, 6);
}

static bool wanted(const struct ctl_stream *s, const struct bs_event *ev)
{
	if (s->f.types && !(s->f.types & (1u << ev->type)))
		return false;
	return !s->f.by_mac || memcmp(ev->mac, s->f.mac, 6) == 0;
}

void ctl_event_json(struct bs_jw *w, const struct bs_event *ev, const struct ctl_clock *clk)
{
	const char *name = bs_ev_type_name(ev->type);
	bool dhcp = ev->type >= BS_EV_DHCP_DISCOVER && ev->type <= BS_EV_DHCP_INFORM;
	char buf[18];
	struct in_addr a = {.s_addr = htonl(ev->ip)};

	bs_jw_obj(w);
	bs_jw_kstr(w, "event", name ? name : "unknown");
	bs_jw_ki64(w, "time_ms", clk->wall_ms - (int64_t)(clk->mono_ms - ev->mono_ms));
	bs_jw_key(w, "mac");
	if (memcmp(ev->mac, no_mac, 6) != 0) {
		snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", ev->mac[0], ev->mac[1],
			 ev->mac[2], ev->mac[3], ev->mac[4], ev->mac[5]);
		bs_jw_str(w, buf);
	} else {
		bs_jw_null(w);
	}
	if (ev->ip) {
		inet_ntop(AF_INET, &a, buf, sizeof(buf));
		bs_jw_kstr(w, "ip", buf);
	}
	if (ev->file[0]) {
		bs_jw_key(w, "file");
		bs_jw_strn(w, ev->file, strnlen(ev->file, sizeof(ev->file)));
	}
	if (dhcp) {
		if (ev->arch != BS_EV_ARCH_NONE)
			bs_jw_ku64(w, "arch", ev->arch);
		if (ev->flags & BS_EV_F_PROXY)
			bs_jw_kbool(w, "proxy", true);
		if (ev->flags & BS_EV_F_BOOTSRV)
			bs_jw_kbool(w, "bootsrv", true);
	} else {
		bs_jw_ku64(w, "bytes", ev->bytes);
		if (ev->type != BS_EV_HTTP_DONE)
			bs_jw_ku64(w, "total", ev->total);
		if (ev->type == BS_EV_HTTP_DONE || ev->type == BS_EV_TFTP_ERROR)
			bs_jw_ku64(w, "status", ev->status);
	}
	bs_jw_obj_end(w);
}

int ctl_stream_next(struct ctl_stream *s, const struct bs_ctl_env *env, const struct ctl_clock *clk,
		    size_t room, struct bs_jw *w, uint64_t *lost)
{
	struct bs_event ev;

	for (;;) {
		bs_jw_reset(w);
		fill(s, env, lost); /* first, so that a gap is reported before what follows it */
		if (s->lost && room >= CTL_EV_LINE_MAX) {
			bs_jw_obj(w);
			bs_jw_kstr(w, "event", "lost");
			bs_jw_ku64(w, "count", s->lost);
			bs_jw_obj_end(w);
			s->lost = 0;
			return 1;
		}
		if (!take(s, &ev))
			return 0;
		fill_mac(env, &ev, clk->wall);
		if (!wanted(s, &ev))
			continue;
		if (room < CTL_EV_LINE_MAX * 2) { /* keep room for the lost line */
			s->lost++;
			(*lost)++;
			continue;
		}
		ctl_event_json(w, &ev, clk);
		return 1;
	}
}

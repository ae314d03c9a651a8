/* SPDX-License-Identifier: MIT */
/*
 * The events command's stream (internal to the control server): a
 * subscriber's cursors into the producers' rings, its filter, what it
 * lost, and the formatting of one JSON line per event. Formatting happens
 * here, when a subscriber is served, never on the packet path.
 */
#ifndef BS_CONTROL_CTL_EVENTS_H
#define BS_CONTROL_CTL_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "util/events.h"

struct ctl_stream;

/* Starts at the rings' heads: only events from now on. NULL: no memory. */
struct ctl_stream *ctl_stream_new(const struct bs_ctl_env *env, const struct bs_ctl_sub *f);
void ctl_stream_free(struct ctl_stream *s);

/* Both clocks, read once per round: records carry monotonic ms. */
struct ctl_clock {
	uint64_t mono_ms;
	int64_t wall_ms;
	time_t wall;
};

/*
 * The subscriber's next line into w (reset first): 1 a line, 0 nothing
 * more now. room: bytes its output buffer still takes; a matching event
 * that does not fit is counted lost (*lost too), and a {"event":"lost"}
 * line goes out first once there is room again. Events from all rings
 * come in time order (merged by their monotonic time).
 */
int ctl_stream_next(struct ctl_stream *s, const struct bs_ctl_env *env, const struct ctl_clock *clk,
		    size_t room, struct bs_jw *w, uint64_t *lost);

/* One event as a JSON object (no newline): the stream's line format. */
void ctl_event_json(struct bs_jw *w, const struct bs_event *ev, const struct ctl_clock *clk);

#endif

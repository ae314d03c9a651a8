/* SPDX-License-Identifier: MIT */
/*
 * What DHCP decided about a client, remembered for HTTP: per client MAC,
 * the tag set of the last reply the DHCP server sent it (full DHCP,
 * proxyDHCP or boot server) and when. GET /boot.ipxe?mac= adds these tags
 * to the host's own, so an ipxe-boot line can say tag:efi-x86_64 (a
 * dhcp-match), tag:ipxe or tag:eth1 as dhcp-boot lines do
 * (docs/http.md "iPXE scripts per host").
 *
 * Fixed size, allocated once: open addressing over a power-of-two array,
 * a MAC's probe window is BS_TAGMEM_PROBE slots from its hash. A new MAC
 * takes a free slot of its window (empty, or of an older generation), else
 * the one written longest ago (counted as an eviction). Nothing is
 * allocated or freed per packet, nothing is ever deleted: entries age out
 * at the reader (max_age_ms).
 *
 * Threads: one writer (the thread that runs dhcp_input: worker 0), any
 * number of readers on any thread, no lock. Each slot is a seqlock (odd
 * sequence while the writer changes it; a reader that sees the same even
 * value before and after its copy has a whole entry) and every field is
 * an atomic word, so a reader never sees a half-written entry, and never
 * blocks the writer. Today the reader (HTTP) is worker 0 too, so the
 * seqlock never retries; it keeps the table correct where HTTP runs on a
 * thread of its own.
 *
 * Generations: tag bits are indexes into one policy's tag name table
 * (the config interns dhcp-match, dhcp-host and ipxe-boot tags into the
 * same one). When a reload renames the bits, the writer starts a new
 * generation: entries of older ones are no longer found.
 */
#ifndef BS_UTIL_TAGMEM_H
#define BS_UTIL_TAGMEM_H

#include <stdbool.h>
#include <stdint.h>

#define BS_TAGMEM_SIZE	65536u /* default slots: 2 MiB */
#define BS_TAGMEM_PROBE 8

struct bs_tagmem;

/* size slots, rounded up to a power of two (at least BS_TAGMEM_PROBE).
   NULL when out of memory. */
struct bs_tagmem *bs_tagmem_new(uint32_t size);
void bs_tagmem_free(struct bs_tagmem *m);

/* Writer: mac's tags as of now_ms (a monotonic clock shared with the
   readers). Replaces mac's entry of this generation. */
void bs_tagmem_put(struct bs_tagmem *m, const uint8_t mac[6], uint64_t tags, uint64_t now_ms);

/* Writer: forget every entry (their tag bits mean other names now). */
void bs_tagmem_new_generation(struct bs_tagmem *m);

/*
 * Reader: mac's tags into *tags when it has an entry of the current
 * generation written at most max_age_ms before now_ms; else false (*tags
 * untouched).
 */
bool bs_tagmem_get(const struct bs_tagmem *m, const uint8_t mac[6], uint64_t now_ms,
		   uint64_t max_age_ms, uint64_t *tags);

/* Counters (tagmem_* in /metrics), any thread: inserts (a MAC not in
   the table), evictions (a live entry of another MAC replaced: the table
   is too small for the clients of one max_age). */
struct bs_tagmem_counts {
	uint64_t inserts, evictions;
};
struct bs_tagmem_counts bs_tagmem_counts(const struct bs_tagmem *m);

#endif

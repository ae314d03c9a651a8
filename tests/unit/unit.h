/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for the CUnit test programs: a runner, and a bs_tx sink
 * that captures the datagrams protocol code emits.
 */
#ifndef BS_TEST_UNIT_H
#define BS_TEST_UNIT_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/datagram.h"

/*
 * An assertion that carries the table row's description, so a failing row
 * of a table-driven test names itself, not just the line of the loop.
 */
#define CHECK(desc, cond)                                                                          \
	do {                                                                                       \
		char m_[600];                                                                      \
		snprintf(m_, sizeof(m_), "[%s] %s", (desc), #cond);                                \
		CU_assertImplementation((cond) ? CU_TRUE : CU_FALSE, __LINE__, m_, __FILE__, "",   \
					CU_FALSE);                                                 \
	} while (0)

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/*
 * Register tests (NULL-terminated array) as one suite, run them, print a
 * summary and return the process exit status (0 only if all passed and at
 * least one test ran).
 */
int unit_run(const char *suite, const struct unit_test *tests);

#define TXCAP_MAX 256
#define TXCAP_BUF 66000

struct txcap_pkt {
	uint8_t *data;
	size_t len;
	struct bs_tx_addr to;
};

/* A bs_tx that keeps every committed datagram (up to TXCAP_MAX). */
struct txcap {
	struct bs_tx tx;    /* must be first */
	struct txcap_pkt pkts[TXCAP_MAX];
	size_t n;
	uint8_t *pending;   /* buffer handed out by alloc, not yet committed */
	size_t allocs;      /* alloc calls */
	size_t fail_after;  /* alloc returns NULL once allocs reaches this (0 = never) */
};

void txcap_init(struct txcap *c);
void txcap_reset(struct txcap *c); /* frees captured packets, keeps settings */
void txcap_free(struct txcap *c);

/* Path of a file under the source tree (BS_SRCDIR env, set by meson). */
const char *unit_srcpath(const char *rel);

#endif

/* SPDX-License-Identifier: MIT */
#include "unit.h"

#include <CUnit/Basic.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int unit_run(const char *suite_name, const struct unit_test *tests)
{
	CU_pSuite suite;
	unsigned ran, failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite(suite_name, NULL, NULL);
	if (!suite)
		return 2;
	for (const struct unit_test *t = tests; t->name; t++)
		if (!CU_add_test(suite, t->name, t->fn))
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	ran = CU_get_number_of_tests_run();
	failed = CU_get_number_of_tests_failed() + CU_get_number_of_failures();
	CU_cleanup_registry();
	if (ran == 0) {
		fprintf(stderr, "%s: no test ran\n", suite_name);
		return 1;
	}
	return failed ? 1 : 0;
}

static uint8_t *txcap_alloc(struct bs_tx *tx, size_t max)
{
	struct txcap *c = (struct txcap *)tx;

	c->allocs++;
	if (c->fail_after && c->allocs >= c->fail_after)
		return NULL;
	if (max > TXCAP_BUF)
		return NULL;
	free(c->pending);
	/* Poison so a reply that forgets to initialise a byte shows up. */
	c->pending = malloc(max ? max : 1);
	if (c->pending)
		memset(c->pending, 0xa5, max);
	return c->pending;
}

static void txcap_commit(struct bs_tx *tx, uint8_t *buf, size_t len, const struct bs_tx_addr *to)
{
	struct txcap *c = (struct txcap *)tx;

	CU_ASSERT_PTR_EQUAL(buf, c->pending);
	if (buf != c->pending || c->n >= TXCAP_MAX)
		return;
	c->pkts[c->n].data = buf;
	c->pkts[c->n].len = len;
	c->pkts[c->n].to = *to;
	c->n++;
	c->pending = NULL;
}

void txcap_init(struct txcap *c)
{
	memset(c, 0, sizeof(*c));
	c->tx.alloc = txcap_alloc;
	c->tx.commit = txcap_commit;
}

void txcap_reset(struct txcap *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->pkts[i].data);
	c->n = 0;
	free(c->pending);
	c->pending = NULL;
}

void txcap_free(struct txcap *c)
{
	txcap_reset(c);
}

const char *unit_srcpath(const char *rel)
{
	static char buf[PATH_MAX];
	const char *root = getenv("BS_SRCDIR");

	snprintf(buf, sizeof(buf), "%s/%s", root ? root : "..", rel);
	return buf;
}

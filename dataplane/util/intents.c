/* SPDX-License-Identifier: MIT */
/* Lease intent ring (intents.h): shared mapping + an eventfd per direction. */
#include "intents.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Each index has one writer: head the producer, the others the consumer.
   Separate cache lines, so the two sides do not bounce one. */
struct bs_intent_shm {
	_Alignas(64) uint64_t head; /* seq of the last record pushed */
	_Alignas(64) uint64_t tail; /* seq of the last record consumed */
	uint64_t durable;	    /* every record <= this is on disk */
	uint64_t failed;	    /* records <= this could not be made durable */
	_Alignas(64) struct lease rec[];
};

static uint64_t ld(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void st(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void kick(int fd)
{
	static const uint64_t one = 1;

	(void)!write(fd, &one, sizeof(one));
}

int bs_intents_new(uint32_t cap, struct bs_intents *r)
{
	uint32_t c = 64;

	while (c < cap && c < (1u << 24))
		c <<= 1;
	memset(r, 0, sizeof(*r));
	r->to_ctl = r->to_dp = -1;
	r->cap = c;
	r->map_len = sizeof(struct bs_intent_shm) + (size_t)c * sizeof(struct lease);
	r->shm = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r->shm == MAP_FAILED) {
		r->shm = NULL;
		return -errno;
	}
	/* fork() hands them to the dataplane; an exec'ed program needs none. */
	r->to_ctl = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r->to_dp = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->to_ctl < 0 || r->to_dp < 0) {
		int err = -errno;

		bs_intents_free(r);
		return err;
	}
	return 0;
}

void bs_intents_free(struct bs_intents *r)
{
	if (r->shm)
		munmap(r->shm, r->map_len);
	if (r->to_ctl >= 0)
		close(r->to_ctl);
	if (r->to_dp >= 0)
		close(r->to_dp);
	memset(r, 0, sizeof(*r));
	r->to_ctl = r->to_dp = -1;
}

uint32_t bs_intents_space(const struct bs_intents *r)
{
	uint64_t used = r->shm->head - ld(&r->shm->tail);

	return used >= r->cap ? 0 : r->cap - (uint32_t)used;
}

uint64_t bs_intents_head(const struct bs_intents *r)
{
	return r->shm->head;
}

uint64_t bs_intents_push(struct bs_intents *r, const struct lease *l, size_t n)
{
	uint64_t h = r->shm->head;

	if (n > bs_intents_space(r))
		n = bs_intents_space(r);
	for (size_t i = 0; i < n; i++)
		r->shm->rec[(h + i) & (r->cap - 1)] = l[i];
	if (n) {
		st(&r->shm->head, h + n);
		kick(r->to_ctl);
	}
	return h + n;
}

static int outcome(const struct bs_intents *r, uint64_t seq)
{
	if (ld(&r->shm->durable) >= seq)
		return 0;
	if (ld(&r->shm->failed) >= seq)
		return -EIO;
	return -EAGAIN;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bs_intents_wait(struct bs_intents *r, uint64_t seq, int timeout_ms)
{
	int64_t end = mono_ms() + timeout_ms;
	struct pollfd p = {.fd = r->to_dp, .events = POLLIN};
	uint64_t v;
	int err;

	while ((err = outcome(r, seq)) == -EAGAIN) {
		int64_t left = end - mono_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) > 0)
			(void)!read(r->to_dp, &v, sizeof(v));
	}
	return err;
}

size_t bs_intents_peek(const struct bs_intents *r, struct lease *out, size_t max, uint64_t *last)
{
	uint64_t t = r->shm->tail, h = ld(&r->shm->head);
	size_t n = 0;

	/* A head that ran away (a broken producer) is clamped to the ring. */
	if (h - t > r->cap)
		h = t + r->cap;
	while (n < max && t + n < h) {
		out[n] = r->shm->rec[(t + n) & (r->cap - 1)];
		n++;
	}
	*last = t + n;
	return n;
}

void bs_intents_done(struct bs_intents *r, uint64_t last, int ok)
{
	if (last < r->shm->tail)
		return;
	st(&r->shm->tail, last);
	if (ok) {
		st(&r->shm->durable, last);
	} else {
		st(&r->shm->failed, last);
	}
	kick(r->to_dp);
}

void bs_intents_ack_wakeup(struct bs_intents *r)
{
	uint64_t v;

	(void)!read(r->to_ctl, &v, sizeof(v));
}

uint64_t bs_intents_durable(const struct bs_intents *r)
{
	return ld(&r->shm->durable);
}

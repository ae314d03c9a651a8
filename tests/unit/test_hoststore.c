/* SPDX-License-Identifier: MIT */
/*
 * The host state file across the process split (control/hoststore.h):
 * the dataplane's request, control's write and answer, in two processes;
 * a failed write reaches the requester; an answer meant for a dead
 * requester (same seq, other pid) is not taken for ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control/hoststore.h"
#include "unit.h"

static char dir[64], path[128];
static const struct bs_log nolog = {NULL, NULL, 0};

/* Control: answer requests until none came for 1 s. */
static pid_t serve_in_child(struct bs_hoststore *s)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct pollfd p = {.fd = s->fd[0], .events = POLLIN};

		while (poll(&p, 1, 1000) > 0)
			bs_hoststore_serve(s);
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* The file's content equals text. */
static bool file_is(const char *p, const char *text, size_t len)
{
	char *buf = malloc(len + 2);
	int fd = open(p, O_RDONLY);
	ssize_t n = fd >= 0 && buf ? read(fd, buf, len + 1) : -1;
	bool same = n == (ssize_t)len && memcmp(buf, text, len) == 0;

	if (fd >= 0)
		close(fd);
	free(buf);
	return same;
}

static void test_roundtrip(void)
{
	struct bs_hoststore s;
	char err[256] = "";
	size_t big = 1u << 20; /* above any socket buffer: the memfd carries it */
	char *text = malloc(big);
	pid_t pid;

	CU_ASSERT_FATAL(text != NULL);
	CU_ASSERT_FATAL(bs_hoststore_init(&s, path, &nolog) == 0);
	pid = serve_in_child(&s);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(bs_hoststore_request(&s, path, "host a\n", 7, err, sizeof(err)), 0);
	CU_ASSERT(file_is(path, "host a\n", 7));
	for (size_t i = 0; i < big; i++)
		text[i] = (char)('a' + i % 26);
	CU_ASSERT_EQUAL(bs_hoststore_request(&s, path, text, big, err, sizeof(err)), 0);
	CU_ASSERT(file_is(path, text, big));
	CU_ASSERT_EQUAL(bs_hoststore_request(&s, path, "", 0, err, sizeof(err)), 0);
	CU_ASSERT(file_is(path, "", 0));
	reap(pid);
	/* control gone: the wait is bounded */
	s.wait_ms = 50;
	CU_ASSERT_EQUAL(bs_hoststore_request(&s, path, "x", 1, err, sizeof(err)), -ETIMEDOUT);
	CU_ASSERT(strstr(err, "did not answer") != NULL);
	CU_ASSERT(file_is(path, "", 0));
	bs_hoststore_fini(&s);
	free(text);
}

/* Control cannot write the file: the requester gets the error and why. */
static void test_write_failure(void)
{
	struct bs_hoststore s;
	char bad[192], err[256] = "";
	pid_t pid;

	snprintf(bad, sizeof(bad), "%s/no-such-dir/hosts", dir);
	CU_ASSERT_FATAL(bs_hoststore_init(&s, bad, &nolog) == 0);
	pid = serve_in_child(&s);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(bs_hoststore_request(&s, bad, "host b\n", 7, err, sizeof(err)), -ENOENT);
	CU_ASSERT(strstr(err, "hosts file") != NULL && strstr(err, "no-such-dir") != NULL);
	CU_ASSERT(access(bad, F_OK) != 0);
	reap(pid);
	bs_hoststore_fini(&s);
}

/* A dataplane that gave up (or died) leaves control's answer to its
   request in the socket, with the seq our next request also gets. */
static void test_stale_answer(void)
{
	struct bs_hoststore s;
	char err[256] = "";
	pid_t dead, pid;
	int status;

	CU_ASSERT_FATAL(bs_hoststore_init(&s, path, &nolog) == 0);
	dead = fork();
	CU_ASSERT_FATAL(dead >= 0);
	if (dead == 0) {
		s.wait_ms = 50; /* nobody serves yet */
		_exit(bs_hoststore_request(&s, path, "stale\n", 6, err, sizeof(err)) == -ETIMEDOUT
			  ? 0
			  : 1);
	}
	waitpid(dead, &status, 0);
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	pid = serve_in_child(&s); /* writes "stale", answers the dead pid first */
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(bs_hoststore_request(&s, path, "mine\n", 5, err, sizeof(err)), 0);
	CU_ASSERT(file_is(path, "mine\n", 5));
	reap(pid);
	bs_hoststore_fini(&s);
}

int main(void)
{
	static const struct unit_test tests[] = {
	    {"round trip", test_roundtrip},
	    {"write failure", test_write_failure},
	    {"stale answer", test_stale_answer},
	    {0},
	};
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/bs-hoststore-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/hosts", dir);
	rc = unit_run("hoststore", tests);
	unlink(path);
	rmdir(dir);
	return rc;
}

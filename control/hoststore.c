/* SPDX-License-Identifier: MIT */
/* The host state file, written by control for the dataplane (hoststore.h). */
#include "hoststore.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control/hosts.h"
#include "util/fdio.h"

/* A state file larger than this is not a host registry: refused. */
#define HOSTSTORE_MAX_BYTES (64u << 20)

struct hs_req {
	int32_t pid;
	uint32_t seq;
	uint64_t len;
};

struct hs_ans {
	int32_t pid;
	uint32_t seq;
	int32_t rc; /* 0 or -errno */
	char why[240];
};

int bs_hoststore_init(struct bs_hoststore *s, const char *path, const struct bs_log *log)
{
	memset(s, 0, sizeof(*s));
	s->path = path;
	s->log = log;
	s->wait_ms = BS_HOSTSTORE_WAIT_MS;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->fd) < 0) {
		s->fd[0] = s->fd[1] = -1;
		return -errno;
	}
	return 0;
}

void bs_hoststore_fini(struct bs_hoststore *s)
{
	for (int i = 0; i < 2; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	s->fd[0] = s->fd[1] = -1;
}

/* The request's text from its memfd, into a malloc'd buffer. */
static int read_memfd(int fd, uint64_t len, char **out)
{
	struct stat st;
	char *buf;
	ssize_t got;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (len > HOSTSTORE_MAX_BYTES || (uint64_t)st.st_size != len)
		return -EMSGSIZE;
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	got = pread(fd, buf, len, 0);
	if (got < 0 || (uint64_t)got != len) {
		free(buf);
		return got < 0 ? -errno : -EIO;
	}
	*out = buf;
	return 0;
}

/* One fixed-size record and room for one fd (SCM_RIGHTS) beside it. Set up
   in place by hs_msg_init(): it points into itself, so it is never copied. */
struct hs_msg {
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov;
	struct msghdr mh;
};

static void hs_msg_init(struct hs_msg *m, void *rec, size_t len)
{
	memset(m, 0, sizeof(*m));
	m->iov.iov_base = rec;
	m->iov.iov_len = len;
	m->mh.msg_iov = &m->iov;
	m->mh.msg_iovlen = 1;
	m->mh.msg_control = m->cm.buf;
	m->mh.msg_controllen = sizeof(m->cm.buf);
}

/* One request: receive it, write the file, answer. 0: none waiting. */
static int serve_one(struct bs_hoststore *s)
{
	struct hs_req rq;
	struct hs_ans an = {0};
	struct hs_msg m;
	struct cmsghdr *c;
	char *text = NULL;
	int mfd = -1;
	ssize_t n;

	hs_msg_init(&m, &rq, sizeof(rq));
	n = recvmsg(s->fd[0], &m.mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	c = CMSG_FIRSTHDR(&m.mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&mfd, CMSG_DATA(c), sizeof(int));
	if (n != (ssize_t)sizeof(rq) || mfd < 0 || (m.mh.msg_flags & MSG_CTRUNC)) {
		an.rc = -EPROTO;
		snprintf(an.why, sizeof(an.why),
			 "hosts file: malformed request from the dataplane");
	} else {
		an.pid = rq.pid;
		an.seq = rq.seq;
		an.rc = read_memfd(mfd, rq.len, &text);
		if (an.rc < 0)
			snprintf(an.why, sizeof(an.why), "hosts file: the dataplane's text: %s",
				 strerror(-an.rc));
		else
			an.rc = bs_hosts_write_file(NULL, s->path, text, rq.len, an.why,
						    sizeof(an.why));
	}
	free(text);
	if (mfd >= 0)
		close(mfd);
	if (an.rc < 0) {
		s->errors++;
		bs_logf(s->log, LOG_ERR, "%s", an.why);
	} else {
		s->writes++;
	}
	/* A dataplane that died meanwhile: the answer is discarded by the next. */
	(void)!send(s->fd[0], &an, sizeof(an), MSG_DONTWAIT | MSG_NOSIGNAL);
	return 1;
}

int bs_hoststore_serve(struct bs_hoststore *s)
{
	int n = 0, r;

	while ((r = serve_one(s)) > 0)
		n++;
	return r < 0 ? r : n;
}

static int send_req(struct bs_hoststore *s, int mfd, uint64_t len)
{
	struct hs_req rq = {.pid = (int32_t)getpid(), .seq = ++s->seq, .len = len};
	struct hs_msg m;
	struct cmsghdr *c;

	hs_msg_init(&m, &rq, sizeof(rq));
	c = CMSG_FIRSTHDR(&m.mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &mfd, sizeof(int));
	return sendmsg(s->fd[1], &m.mh, MSG_NOSIGNAL) == (ssize_t)sizeof(rq) ? 0 : -errno;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Control's answer to request seq; others are stale and dropped. */
static int wait_answer(struct bs_hoststore *s, char *err, size_t errlen)
{
	int64_t until = now_ms() + s->wait_ms;
	struct hs_ans an;

	for (;;) {
		struct pollfd p = {.fd = s->fd[1], .events = POLLIN};
		int64_t left = until - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			snprintf(err, errlen, "hosts file: control did not answer within %d ms",
				 s->wait_ms);
			return -ETIMEDOUT;
		}
		n = recv(s->fd[1], &an, sizeof(an), MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 || (p.revents & POLLHUP)) {
			snprintf(err, errlen, "hosts file: control is gone");
			return -EPIPE;
		}
		if (n != (ssize_t)sizeof(an) || an.pid != (int32_t)getpid() || an.seq != s->seq)
			continue;
		if (an.rc < 0) {
			an.why[sizeof(an.why) - 1] = '\0';
			snprintf(err, errlen, "%s", an.why);
		}
		return an.rc;
	}
}

int bs_hoststore_request(void *arg, const char *path, const char *text, size_t len, char *err,
			 size_t errlen)
{
	struct bs_hoststore *s = arg;
	int mfd = memfd_create("bootstorm-hosts", MFD_CLOEXEC);
	int rc = 0;

	(void)path; /* control writes its own copy of it */
	if (mfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "hosts file: memfd: %s", strerror(-rc));
		return rc;
	}
	rc = bs_write_all(mfd, text, len);
	if (!rc)
		rc = send_req(s, mfd, len);
	close(mfd);
	if (rc < 0) {
		snprintf(err, errlen, "hosts file: to control: %s", strerror(-rc));
		return rc;
	}
	return wait_answer(s, err, errlen);
}

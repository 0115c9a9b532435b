/* packetdrill's shared-object interface over one synack stack (issue 5, "The adapter's
 * contract"; the interface is described in pd_interface.h).
 *
 * Time. The stack runs on a virtual clock: real elapsed time (CLOCK_MONOTONIC) plus the time
 * skipped by usleep() and by netdev_receive() when it jumps to the next timer. gettimeofday()
 * reads that clock (offset to the wall clock at init), and every packet the stack emits is
 * stamped with the virtual time of the synack_poll() that produced it. Timers that come due
 * while time is skipped fire one by one at their own deadlines, so their packets carry the
 * right times.
 *
 * Threads. packetdrill makes blocking calls (accept, connect, read, write without O_NONBLOCK)
 * on a second thread. One mutex guards the adapter and the stack; a blocked call sleeps on a
 * condition variable (with a timed wait up to the stack's next deadline, so timers also run in
 * real time) and is woken by every change: an input packet, a socket call, a fired timer, a
 * skip of time. Before time skips, the adapter lets woken callers run first ("settle"), so a
 * read woken by a packet returns at that packet's time, as with a kernel.
 *
 * Sockets. File descriptors start at 3 (lowest free, like a fresh process) and map to stack
 * handles. Socket options use Linux's levels and numbers; what the stack cannot do fails
 * with ENOPROTOOPT, as Linux does for unknown options. */
#include "pd_interface.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <linux/errqueue.h>
#include <time.h>
#include "synack/platform.h"
#include "synack/socket.h"
#include "synack/synack.h"

#define PD_EXPORT __attribute__((visibility("default")))
#define PD_MAX_FDS 256
#define PD_MAX_QUEUED 8192         /* packets waiting for netdev_receive */
#define PD_SETTLE_US 200000        /* longest real wait for woken callers before a time skip */
#define PD_OBSERVE_US 20000        /* ... and for a returned blocking caller to read the clock */
#define PD_MIN_SNDBUF 4608         /* Linux's SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF (x86-64) */
#define PD_MIN_RCVBUF 2304
/* Linux charges SO_SNDBUF with each queued segment's payload plus its sk_buff bookkeeping
 * (the value set is doubled for that reason). We count 640 bytes per MSS-sized segment (x86-64
 * sk_buff + skb_shared_info, aligned, plus headers) to turn the doubled value into payload. */
#define PD_SKB_OVERHEAD 640
#define PD_RMEM_MAX 212992         /* Linux's default net.core.{r,w}mem_max */

struct pd_pkt {
    struct pd_pkt *next;
    synack_time_us t;
    size_t len;
    uint8_t data[];
};

struct pd_fd {
    int used;
    int h;                 /* stack handle */
    int type;              /* SOCK_STREAM or SOCK_DGRAM */
    int nonblock, cloexec;
    int shut_rd, shut_wr;  /* what shutdown() was asked (Linux's sk_shutdown, for poll) */
    int rcvbuf, sndbuf;    /* values set with SO_RCVBUF/SO_SNDBUF (0: not set) */
    int linger_on, linger_s;
    synack_time_us rcvtimeo, sndtimeo; /* 0 = none */
    /* SO_ZEROCOPY: MSG_ZEROCOPY sends are numbered from 0 and their completions wait in the
     * error queue as one range [zc_lo, zc_hi], as Linux coalesces them. synack copies what it
     * sends, so each completes at once with SO_EE_CODE_ZEROCOPY_COPIED (Linux's answer when it
     * had to copy too): the caller may reuse its buffer as soon as it reads the notification. */
    int zerocopy, zc_pending;
    uint32_t zc_next, zc_lo, zc_hi;
};

/* A thread blocked in the adapter; stale while it has not seen the latest change. */
struct pd_waiter {
    struct pd_waiter *next;
    uint64_t seen;
    synack_time_us deadline;   /* virtual; SYNACK_TIME_NEVER: none */
};

struct pd {
    pthread_mutex_t mu;
    pthread_cond_t cv;          /* "something changed": broadcast */
    pthread_cond_t settled;     /* a waiter caught up with the latest change */
    struct synack_stack *st;
    struct synack_config cfg;
    synack_time_us real0, skipped, last;
    long long wall0_us;
    struct pd_pkt *qhead, *qtail;
    size_t qlen;
    uint64_t qdropped;
    uint64_t gen;
    struct pd_waiter *waiters;
    pthread_t returner;         /* a caller whose blocking call just returned ... */
    int returner_pending;       /* ... and has not read the clock since */
    synack_time_us emit_time;
    int emitted;
    int nodelay, verbose;
    struct pd_fd fds[PD_MAX_FDS];
};

/* Set on a thread while its current call has slept in block(). */
static _Thread_local int tl_blocked;

/* ---- clock ---- */

static synack_time_us vnow(struct pd *pd)
{
    synack_time_us t = synack_platform_now_us() - pd->real0 + pd->skipped;
    if (t < pd->last) t = pd->last;
    pd->last = t;
    return t;
}

static void skip_to(struct pd *pd, synack_time_us t)
{
    synack_time_us now = vnow(pd);
    if (t > now) {
        pd->skipped += t - now;
        pd->last = t;
    }
}

/* ---- output queue and polling ---- */

static void on_emit(void *ctx, const uint8_t *pkt, size_t len)
{
    struct pd *pd = ctx;
    struct pd_pkt *p;
    pd->emitted++;
    if (pd->qlen >= PD_MAX_QUEUED || !(p = malloc(sizeof *p + len))) {
        pd->qdropped++;
        return;
    }
    p->next = NULL;
    p->t = pd->emit_time;
    p->len = len;
    memcpy(p->data, pkt, len);
    if (pd->qtail) pd->qtail->next = p; else pd->qhead = p;
    pd->qtail = p;
    pd->qlen++;
}

static void wake(struct pd *pd)
{
    pd->gen++;
    pthread_cond_broadcast(&pd->cv);
}

/* Runs due timers and sends what is pending at the current virtual time. Wakes blocked
 * callers if anything may have changed (changed != 0, a timer was due, or packets left). */
static void pump(struct pd *pd, int changed)
{
    synack_time_us now = vnow(pd);
    if (synack_poll_at(pd->st) <= now) changed = 1;
    pd->emit_time = now;
    pd->emitted = 0;
    synack_poll(pd->st, now, on_emit, pd);
    if (changed || pd->emitted) wake(pd);
}

static int has_stale_waiter(struct pd *pd)
{
    for (struct pd_waiter *w = pd->waiters; w; w = w->next)
        if (w->seen != pd->gen) return 1;
    return 0;
}

static struct timespec real_after(long us)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += (us % 1000000) * 1000;
    ts.tv_sec += us / 1000000 + ts.tv_nsec / 1000000000;
    ts.tv_nsec %= 1000000000;
    return ts;
}

/* Lets callers woken by the latest change run before time moves on, and lets a caller whose
 * blocking call returned read the clock (packetdrill takes a blocking call's end time right
 * after it returns). Both waits are bounded in real time. */
static void settle(struct pd *pd)
{
    struct timespec ts;
    if (has_stale_waiter(pd)) {
        ts = real_after(PD_SETTLE_US);
        while (has_stale_waiter(pd))
            if (pthread_cond_timedwait(&pd->settled, &pd->mu, &ts) == ETIMEDOUT) break;
    }
    if (pd->returner_pending && !pthread_equal(pd->returner, pthread_self())) {
        ts = real_after(PD_OBSERVE_US);
        while (pd->returner_pending)
            if (pthread_cond_timedwait(&pd->settled, &pd->mu, &ts) == ETIMEDOUT) break;
    }
    pd->returner_pending = 0;
}

/* The next moment something must happen: a stack timer or a blocked caller's deadline. */
static synack_time_us next_event(struct pd *pd)
{
    synack_time_us t = synack_poll_at(pd->st);
    for (struct pd_waiter *w = pd->waiters; w; w = w->next)
        if (w->deadline < t) t = w->deadline;
    return t;
}

/* Advances virtual time to `target`, firing every timer due on the way at its deadline and
 * waking blocked callers at theirs. */
static void run_until(struct pd *pd, synack_time_us target)
{
    int stuck = 0;
    settle(pd);
    for (;;) {
        synack_time_us t = next_event(pd);
        if (t > target || t == SYNACK_TIME_NEVER) break;
        skip_to(pd, t);
        pump(pd, 1);
        settle(pd);
        if (next_event(pd) > t) stuck = 0;
        else if (++stuck > 16) break;             /* a deadline that does not move: give up */
    }
    skip_to(pd, target);
    pump(pd, 1);
    settle(pd);
}

/* Sleeps until something changes or virtual time `deadline` (SYNACK_TIME_NEVER: none) or the
 * stack's next timer comes in real time. Returns 1 if the deadline has passed. */
static int block(struct pd *pd, synack_time_us deadline)
{
    struct pd_waiter w = { pd->waiters, pd->gen, deadline }, **pp;
    synack_time_us next = synack_poll_at(pd->st), now = vnow(pd);
    if (deadline < next) next = deadline;
    if (next <= now) {
        pump(pd, 0);
        return deadline <= vnow(pd);
    }
    pd->waiters = &w;
    tl_blocked = 1;
    pthread_cond_broadcast(&pd->settled);
    if (next == SYNACK_TIME_NEVER) {
        pthread_cond_wait(&pd->cv, &pd->mu);
    } else {
        struct timespec ts;
        synack_time_us real = synack_platform_now_us() + (next - now);
        ts.tv_sec = (time_t)(real / 1000000);
        ts.tv_nsec = (long)(real % 1000000) * 1000;
        pthread_cond_timedwait(&pd->cv, &pd->mu, &ts);
    }
    for (pp = &pd->waiters; *pp && *pp != &w; pp = &(*pp)->next) {}
    if (*pp) *pp = w.next;
    pthread_cond_broadcast(&pd->settled);
    pump(pd, 0);
    return deadline <= vnow(pd);
}

/* ---- entry and exit of every call ---- */

static void enter(struct pd *pd)
{
    pthread_mutex_lock(&pd->mu);
    pump(pd, 0);
}

/* Sends what the call caused, wakes blocked callers (if changed), unlocks. */
static void finish(struct pd *pd, int changed)
{
    pump(pd, changed);
    if (tl_blocked) {
        tl_blocked = 0;
        pd->returner = pthread_self();
        pd->returner_pending = 1;
    }
    pthread_mutex_unlock(&pd->mu);
}

/* finish() for a call that returns rc (errno kept); a failure to make progress (EAGAIN,
 * EINPROGRESS) changed nothing. */
static long leave(struct pd *pd, long rc)
{
    int e = errno;
    finish(pd, !(rc < 0 && (e == EAGAIN || e == EINPROGRESS)));
    errno = e;
    return rc;
}

static long fail(int e)
{
    errno = e;
    return -1;
}

static struct pd_fd *getfd(struct pd *pd, int fd)
{
    if (fd < 0 || fd >= PD_MAX_FDS || !pd->fds[fd].used) return NULL;
    return &pd->fds[fd];
}

static int fd_alloc(struct pd *pd, int h, int type)
{
    for (int fd = 3; fd < PD_MAX_FDS; fd++) {
        if (pd->fds[fd].used) continue;
        memset(&pd->fds[fd], 0, sizeof pd->fds[fd]);
        pd->fds[fd].used = 1;
        pd->fds[fd].h = h;
        pd->fds[fd].type = type;
        return fd;
    }
    return -1;
}

static int tcp_state(struct pd *pd, const struct pd_fd *f)
{
    int s = SYNACK_CLOSED;
    if (f->type != SOCK_STREAM || synack_getsockopt(pd->st, f->h, SYNACK_TCP_STATE, &s) < 0)
        return -1;
    return s;
}

static synack_time_us deadline_after(struct pd *pd, synack_time_us timeo)
{
    return timeo > 0 ? vnow(pd) + timeo : SYNACK_TIME_NEVER;
}

/* ---- address helpers ---- */

static int get_sin(const struct sockaddr *a, socklen_t len, uint32_t *addr, uint16_t *port)
{
    const struct sockaddr_in *sin = (const struct sockaddr_in *)a;
    if (!a) return -EFAULT;
    if (len < (socklen_t)sizeof *sin) return -EINVAL;
    if (sin->sin_family != AF_INET) return -EAFNOSUPPORT;
    *addr = ntohl(sin->sin_addr.s_addr);
    *port = ntohs(sin->sin_port);
    return 0;
}

static void put_sin(struct sockaddr *a, socklen_t *len, uint32_t addr, uint16_t port)
{
    struct sockaddr_in sin;
    if (!a || !len) return;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(addr);
    sin.sin_port = htons(port);
    memcpy(a, &sin, *len < sizeof sin ? *len : sizeof sin);
    *len = sizeof sin;
}

/* ---- socket calls ---- */

static int pd_socket(void *ud, int domain, int type, int protocol)
{
    struct pd *pd = ud;
    int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), h, fd, stype;
    if (domain != AF_INET) return (int)fail(EAFNOSUPPORT);
    if (base == SOCK_STREAM) {
        if (protocol != 0 && protocol != IPPROTO_TCP) return (int)fail(EPROTONOSUPPORT);
        stype = SYNACK_SOCK_STREAM;
    } else if (base == SOCK_DGRAM) {
        if (protocol != 0 && protocol != IPPROTO_UDP) return (int)fail(EPROTONOSUPPORT);
        stype = SYNACK_SOCK_DGRAM;
    } else {
        return (int)fail(ESOCKTNOSUPPORT);
    }
    enter(pd);
    h = synack_socket(pd->st, stype);
    if (h < 0) return (int)leave(pd, -1);
    fd = fd_alloc(pd, h, base);
    if (fd < 0) {
        synack_close(pd->st, h);
        errno = EMFILE;
        return (int)leave(pd, -1);
    }
    pd->fds[fd].nonblock = (type & SOCK_NONBLOCK) != 0;
    pd->fds[fd].cloexec = (type & SOCK_CLOEXEC) != 0;
    if (base == SOCK_STREAM) synack_setsockopt(pd->st, h, SYNACK_TCP_NODELAY, pd->nodelay);
    return (int)leave(pd, fd);
}

static int pd_bind(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    uint32_t a;
    uint16_t p;
    int rc;
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    if ((rc = get_sin(addr, len, &a, &p)) < 0) return (int)leave(pd, fail(-rc));
    return (int)leave(pd, synack_bind(pd->st, f->h, a, p));
}

static int pd_listen(void *ud, int fd, int backlog)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    return (int)leave(pd, synack_listen(pd->st, f->h, backlog));
}

static int pd_accept(void *ud, int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    uint32_t a;
    uint16_t p;
    int h, nfd;
    synack_time_us dl;
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    if (addr && !addrlen) return (int)leave(pd, fail(EFAULT));
    dl = deadline_after(pd, f->rcvtimeo);
    for (;;) {
        h = synack_accept(pd->st, f->h, &a, &p);
        if (h >= 0 || errno != EAGAIN || f->nonblock) break;
        if (block(pd, dl)) { errno = EAGAIN; break; }
        if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    }
    if (h < 0) return (int)leave(pd, -1);
    nfd = fd_alloc(pd, h, SOCK_STREAM);
    if (nfd < 0) {
        synack_close(pd->st, h);
        return (int)leave(pd, fail(EMFILE));
    }
    pd->fds[nfd].linger_on = f->linger_on; /* Linux: accepted sockets inherit options */
    pd->fds[nfd].linger_s = f->linger_s;
    if (f->linger_on && f->linger_s == 0) synack_setsockopt(pd->st, h, SYNACK_SO_LINGER_ZERO, 1);
    pd->fds[nfd].rcvbuf = f->rcvbuf;
    pd->fds[nfd].sndbuf = f->sndbuf;
    put_sin(addr, addrlen, a, p);
    return (int)leave(pd, nfd);
}

static int pd_connect(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    uint32_t a;
    uint16_t p;
    int rc, err = 0;
    synack_time_us dl;
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    if ((rc = get_sin(addr, len, &a, &p)) < 0) return (int)leave(pd, fail(-rc));
    rc = synack_connect(pd->st, f->h, a, p);
    if (rc == 0 || errno != EINPROGRESS || f->nonblock || f->type != SOCK_STREAM)
        return (int)leave(pd, rc);
    pump(pd, 1);                                   /* the SYN goes out before we sleep */
    dl = deadline_after(pd, f->sndtimeo);
    for (;;) {
        int st = tcp_state(pd, f);
        if (st != SYNACK_SYN_SENT && st != SYNACK_SYN_RCVD) break;
        if (block(pd, dl)) return (int)leave(pd, fail(EINPROGRESS));
        if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    }
    synack_getsockopt(pd->st, f->h, SYNACK_SO_ERROR, &err);
    return (int)leave(pd, err ? fail(err) : 0);
}

/* recv on a stream or datagram socket; flags: MSG_DONTWAIT, MSG_WAITALL (others ignored). */
static ssize_t do_recv(struct pd *pd, int fd, void *buf, size_t len, int flags, uint32_t *a,
                       uint16_t *p)
{
    struct pd_fd *f;
    size_t got = 0;
    synack_time_us dl;
    int nonblock;
    if (!(f = getfd(pd, fd))) return fail(EBADF);
    if (flags & MSG_ERRQUEUE) {             /* only zerocopy completions ever queue there */
        if (!f->zc_pending) return fail(EAGAIN);
        return 0;                           /* the caller (recvmsg) takes the notification */
    }
    if (flags & (MSG_PEEK | MSG_OOB)) return fail(EOPNOTSUPP); /* the stack has no peek/urgent */
    nonblock = f->nonblock || (flags & MSG_DONTWAIT);
    dl = deadline_after(pd, f->rcvtimeo);
    if (!buf && len) {
        /* Linux fails with EFAULT only when there is something to copy; otherwise the call
         * reports end of stream, an error, or blocks as usual. */
        for (;;) {
            int unread = 0;
            char c;
            ssize_t r;
            if (synack_getsockopt(pd->st, f->h, SYNACK_SO_UNREAD, &unread) == 0 && unread > 0)
                return fail(EFAULT);
            r = synack_recvfrom(pd->st, f->h, &c, 1, a, p);  /* nothing to read: 0 or -1 */
            if (r >= 0 || errno != EAGAIN || nonblock) return r;
            if (block(pd, dl)) return fail(EAGAIN);
            if (!(f = getfd(pd, fd))) return fail(EBADF);
        }
    }
    for (;;) {
        /* (NULL, 0) is a valid empty read: no pointer arithmetic on NULL */
        ssize_t r = synack_recvfrom(pd->st, f->h, buf ? (char *)buf + got : buf, len - got, a, p);
        if (r > 0) {
            got += (size_t)r;
            if (got == len || !(flags & MSG_WAITALL) || f->type != SOCK_STREAM) return (ssize_t)got;
            continue;
        }
        if (r == 0) return (ssize_t)got;
        if (errno != EAGAIN || nonblock) return got ? (ssize_t)got : -1;
        if (block(pd, dl)) return got ? (ssize_t)got : fail(EAGAIN);
        if (!(f = getfd(pd, fd))) return got ? (ssize_t)got : fail(EBADF);
    }
}

static ssize_t do_send_inner(struct pd *pd, int fd, const void *buf, size_t len, int flags,
                             const uint32_t *a, const uint16_t *p);

/* Linux numbers every MSG_ZEROCOPY send that queued bytes on a SO_ZEROCOPY socket (a send of
 * nothing, or one that failed, takes no number) and merges consecutive completions into one
 * range. Here each completes as it is issued, so the pending range always ends at the id before. */
static void zc_complete(struct pd_fd *f)
{
    uint32_t id = f->zc_next++;
    if (!f->zc_pending) { f->zc_pending = 1; f->zc_lo = id; }
    f->zc_hi = id;
}

static ssize_t do_send(struct pd *pd, int fd, const void *buf, size_t len, int flags,
                       const uint32_t *a, const uint16_t *p)
{
    ssize_t r = do_send_inner(pd, fd, buf, len, flags & ~MSG_ZEROCOPY, a, p);
    struct pd_fd *f = getfd(pd, fd);
    if (r > 0 && f && f->zerocopy && (flags & MSG_ZEROCOPY)) zc_complete(f);
    return r;
}

/* send on a stream or datagram socket; blocking sends wait until everything is queued. */
static ssize_t do_send_inner(struct pd *pd, int fd, const void *buf, size_t len, int flags,
                       const uint32_t *a, const uint16_t *p)
{
    struct pd_fd *f;
    size_t done = 0;
    synack_time_us dl;
    int nonblock;
    if (!(f = getfd(pd, fd))) return fail(EBADF);
    if (flags & MSG_OOB) return fail(EOPNOTSUPP);
    nonblock = f->nonblock || (flags & MSG_DONTWAIT);
    dl = deadline_after(pd, f->sndtimeo);
    if (f->type == SOCK_DGRAM) {
        if (!buf && len) return fail(EFAULT);
        return a ? synack_sendto(pd->st, f->h, buf, len, *a, *p) : synack_send(pd->st, f->h, buf, len);
    }
    if (!buf && len) {
        /* Linux reports the connection's state first, then the bad buffer. */
        ssize_t r = synack_send(pd->st, f->h, "", 0);
        if (r < 0 && errno == ENOTCONN) errno = EPIPE;
        return r < 0 ? r : fail(EFAULT);
    }
    for (;;) {
        ssize_t r = synack_send(pd->st, f->h, buf ? (const char *)buf + done : buf, len - done);
        /* Linux's tcp_sendmsg(): EPIPE on a socket that is neither connected nor connecting. */
        if (r < 0 && errno == ENOTCONN) errno = EPIPE;
        if (r > 0) {
            done += (size_t)r;
            if (done == len) return (ssize_t)done;
            pump(pd, 1);
            continue;
        }
        if (r == 0) return (ssize_t)done;
        if (errno != EAGAIN || nonblock) return done ? (ssize_t)done : -1;
        if (block(pd, dl)) return done ? (ssize_t)done : fail(EAGAIN);
        if (!(f = getfd(pd, fd))) return done ? (ssize_t)done : fail(EBADF);
    }
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t count)
{
    struct pd *pd = ud;
    enter(pd);
    return leave(pd, do_recv(pd, fd, buf, count, 0, NULL, NULL));
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t len, int flags)
{
    struct pd *pd = ud;
    enter(pd);
    return leave(pd, do_recv(pd, fd, buf, len, flags, NULL, NULL));
}

static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t len, int flags,
                           struct sockaddr *src, socklen_t *srclen)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    uint32_t a = 0;
    uint16_t p = 0;
    ssize_t r;
    enter(pd);
    if (!(f = getfd(pd, fd))) return leave(pd, fail(EBADF));
    if (src && !srclen) return leave(pd, fail(EFAULT));
    r = do_recv(pd, fd, buf, len, flags, &a, &p);
    if (r >= 0 && src) {
        if (f->type == SOCK_DGRAM) put_sin(src, srclen, a, p);
        else *srclen = 0;                      /* Linux: TCP leaves no source address */
    }
    return leave(pd, r);
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t count)
{
    struct pd *pd = ud;
    enter(pd);
    return leave(pd, do_send(pd, fd, buf, count, 0, NULL, NULL));
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t len, int flags)
{
    struct pd *pd = ud;
    enter(pd);
    return leave(pd, do_send(pd, fd, buf, len, flags, NULL, NULL));
}

static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t len, int flags,
                         const struct sockaddr *dst, socklen_t dstlen)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    uint32_t a;
    uint16_t p;
    int rc;
    enter(pd);
    if (!(f = getfd(pd, fd))) return leave(pd, fail(EBADF));
    if (dst && f->type == SOCK_DGRAM) {
        if ((rc = get_sin(dst, dstlen, &a, &p)) < 0) return leave(pd, fail(-rc));
        return leave(pd, do_send(pd, fd, buf, len, flags, &a, &p));
    }
    if ((flags & MSG_FASTOPEN) && f->type == SOCK_STREAM && tcp_state(pd, f) == SYNACK_CLOSED) {
        /* Linux's tcp_sendmsg_fastopen(): connect with Fast Open; with a cookie cached the
         * data rides in the SYN, without one the SYN asks for a cookie and a non-blocking
         * caller gets EINPROGRESS (a blocking one waits for the handshake, then sends). */
        if (!dst) return leave(pd, fail(EDESTADDRREQ));
        if ((rc = get_sin(dst, dstlen, &a, &p)) < 0) return leave(pd, fail(-rc));
        synack_setsockopt(pd->st, f->h, SYNACK_TCP_FASTOPEN_CONNECT, 1);
        rc = synack_connect(pd->st, f->h, a, p);
        if (rc < 0 && errno != EINPROGRESS) return leave(pd, -1);
        if (rc < 0 && (f->nonblock || (flags & MSG_DONTWAIT))) return leave(pd, -1);
    }
    /* A connected TCP socket ignores the address, like Linux without MSG_FASTOPEN. */
    return leave(pd, do_send(pd, fd, buf, len, flags, NULL, NULL));
}

/* Gathers an iovec array into one buffer (NULL with len 0 for an empty list). */
static int gather(const struct iovec *iov, int n, char **out, size_t *len)
{
    size_t total = 0, off = 0;
    *out = NULL;
    *len = 0;
    if (n < 0 || n > IOV_MAX) return -EINVAL;
    if (n && !iov) return -EFAULT;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len && !iov[i].iov_base) return -EFAULT;
        if (iov[i].iov_len > SSIZE_MAX - total) return -EINVAL;
        total += iov[i].iov_len;
    }
    if (!total) return 0;
    if (!(*out = malloc(total))) return -ENOMEM;
    for (int i = 0; i < n; i++) {
        memcpy(*out + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    *len = total;
    return 0;
}

static ssize_t sendv(struct pd *pd, int fd, const struct iovec *iov, int n, int flags,
                     const struct sockaddr *dst, socklen_t dstlen)
{
    char *buf;
    size_t len;
    ssize_t r;
    int rc = gather(iov, n, &buf, &len);
    struct pd_fd *f = getfd(pd, fd);
    uint32_t a;
    uint16_t p;
    if (!f) { if (rc == 0) free(buf); return fail(EBADF); }    /* gather() may have allocated */
    if (rc < 0) return fail(-rc);
    if (dst && f->type == SOCK_DGRAM) {
        if ((rc = get_sin(dst, dstlen, &a, &p)) < 0) { free(buf); return fail(-rc); }
        r = do_send(pd, fd, buf ? buf : "", len, flags, &a, &p);
    } else {
        r = do_send(pd, fd, buf ? buf : "", len, flags, NULL, NULL);
    }
    free(buf);
    return r;
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int n)
{
    struct pd *pd = ud;
    enter(pd);
    return leave(pd, sendv(pd, fd, iov, n, 0, NULL, 0));
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
    struct pd *pd = ud;
    enter(pd);
    if (!msg) return leave(pd, fail(EFAULT));
    return leave(pd, sendv(pd, fd, msg->msg_iov, (int)msg->msg_iovlen, flags, msg->msg_name,
                           msg->msg_namelen));
}

/* Scatters into an iovec array by reading into a bounce buffer. */
static ssize_t recvv(struct pd *pd, int fd, const struct iovec *iov, int n, int flags,
                     uint32_t *a, uint16_t *p)
{
    size_t total = 0, off = 0;
    char *buf;
    ssize_t r;
    if (!getfd(pd, fd)) return fail(EBADF);
    if (n < 0 || n > IOV_MAX) return fail(EINVAL);
    if (n && !iov) return fail(EFAULT);
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len && !iov[i].iov_base) return fail(EFAULT);
        total += iov[i].iov_len;
    }
    if (!(buf = malloc(total ? total : 1))) return fail(ENOMEM);
    r = do_recv(pd, fd, buf, total, flags, a, p);
    for (int i = 0; r > 0 && i < n && off < (size_t)r; i++) {
        size_t c = iov[i].iov_len < (size_t)r - off ? iov[i].iov_len : (size_t)r - off;
        memcpy(iov[i].iov_base, buf + off, c);
        off += c;
    }
    free(buf);
    return r;
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int n)
{
    struct pd *pd = ud;
    enter(pd);
    return leave(pd, recvv(pd, fd, iov, n, 0, NULL, NULL));
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    uint32_t a = 0;
    uint16_t p = 0;
    ssize_t r;
    enter(pd);
    if (!msg) return leave(pd, fail(EFAULT));
    if (!(f = getfd(pd, fd))) return leave(pd, fail(EBADF));
    if (flags & MSG_ERRQUEUE) {
        struct sock_extended_err ee;
        struct cmsghdr *c;
        if (!f->zc_pending) return leave(pd, fail(EAGAIN));
        memset(&ee, 0, sizeof ee);
        ee.ee_origin = SO_EE_ORIGIN_ZEROCOPY;
        ee.ee_code = SO_EE_CODE_ZEROCOPY_COPIED;
        ee.ee_info = f->zc_lo;
        ee.ee_data = f->zc_hi;
        msg->msg_flags = MSG_ERRQUEUE;
        msg->msg_namelen = 0;
        if (!msg->msg_control || msg->msg_controllen < CMSG_SPACE(sizeof ee)) {
            msg->msg_flags |= MSG_CTRUNC;
            msg->msg_controllen = 0;
        } else {
            c = (struct cmsghdr *)msg->msg_control;
            c->cmsg_level = SOL_IP;
            c->cmsg_type = IP_RECVERR;
            c->cmsg_len = CMSG_LEN(sizeof ee);
            memcpy(CMSG_DATA(c), &ee, sizeof ee);
            msg->msg_controllen = CMSG_SPACE(sizeof ee);
        }
        f->zc_pending = 0;
        return leave(pd, 0);
    }
    r = recvv(pd, fd, msg->msg_iov, (int)msg->msg_iovlen, flags, &a, &p);
    if (r >= 0) {
        msg->msg_flags = 0;
        msg->msg_controllen = 0;
        if (msg->msg_name && f->type == SOCK_DGRAM) put_sin(msg->msg_name, &msg->msg_namelen, a, p);
        else msg->msg_namelen = 0;
    }
    return leave(pd, r);
}

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    va_list ap;
    int arg = 0, rc;
    if (cmd == F_SETFL || cmd == F_SETFD) {
        va_start(ap, cmd);
        arg = va_arg(ap, int);
        va_end(ap);
    }
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    switch (cmd) {
    case F_GETFL: rc = O_RDWR | (f->nonblock ? O_NONBLOCK : 0); break;
    case F_SETFL: f->nonblock = (arg & O_NONBLOCK) != 0; rc = 0; break;
    case F_GETFD: rc = f->cloexec ? FD_CLOEXEC : 0; break;
    case F_SETFD: f->cloexec = (arg & FD_CLOEXEC) != 0; rc = 0; break;
    default: rc = (int)fail(EINVAL); break;
    }
    return (int)leave(pd, rc);
}

static int pd_ioctl(void *ud, int fd, unsigned long req, ...)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    va_list ap;
    int *arg, v = 0, st;
    va_start(ap, req);
    arg = va_arg(ap, int *);
    va_end(ap);
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    switch (req) {
    case FIONBIO:
        if (!arg) return (int)leave(pd, fail(EFAULT));
        f->nonblock = *arg != 0;
        return (int)leave(pd, 0);
    case SIOCINQ:
    case SIOCOUTQ:
        if (!arg) return (int)leave(pd, fail(EFAULT));
        st = tcp_state(pd, f);
        if (st == SYNACK_LISTEN) return (int)leave(pd, fail(EINVAL));
        if (synack_getsockopt(pd->st, f->h, req == SIOCINQ ? SYNACK_SO_UNREAD : SYNACK_SO_UNSENT,
                              &v) < 0)
            return (int)leave(pd, -1);
        *arg = v;
        return (int)leave(pd, 0);
    default:
        return (int)leave(pd, fail(ENOTTY));
    }
}

static int pd_close(void *ud, int fd)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    int rc, unread = 0;
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    if (f->type == SOCK_STREAM && f->linger_on && f->linger_s > 0 &&
        synack_getsockopt(pd->st, f->h, SYNACK_SO_UNREAD, &unread) == 0 && unread == 0) {
        /* SO_LINGER with a timeout: Linux's close() waits (even on a non-blocking socket)
         * until the FIN is acknowledged or the time is up. The stack's close() does not wait,
         * so send the FIN with shutdown() and wait here before releasing the handle. */
        int st = tcp_state(pd, f);
        if (st == SYNACK_ESTABLISHED || st == SYNACK_CLOSE_WAIT) {
            synack_time_us dl = vnow(pd) + (synack_time_us)f->linger_s * 1000000;
            synack_shutdown(pd->st, f->h, SYNACK_SHUT_WR);
            pump(pd, 1);
            for (;;) {
                st = tcp_state(pd, f);
                if (st == SYNACK_FIN_WAIT_2 || st == SYNACK_TIME_WAIT || st == SYNACK_CLOSED) break;
                if (block(pd, dl)) break;
            }
        }
    }
    rc = synack_close(pd->st, f->h);
    f->used = 0;
    return (int)leave(pd, rc);
}

static int pd_shutdown(void *ud, int fd, int how)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    int rc;
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return (int)leave(pd, fail(EINVAL));
    rc = synack_shutdown(pd->st, f->h, how == SHUT_RD ? SYNACK_SHUT_RD :
                                       how == SHUT_WR ? SYNACK_SHUT_WR : SYNACK_SHUT_RDWR);
    if (rc == 0) {
        if (how != SHUT_WR) f->shut_rd = 1;
        if (how != SHUT_RD) f->shut_wr = 1;
    }
    return (int)leave(pd, rc);
}

/* ---- socket options (Linux levels and numbers) ---- */

static int put_opt(void *optval, socklen_t *optlen, const void *v, socklen_t vlen)
{
    socklen_t n;
    if (!optval || !optlen) return (int)fail(EFAULT);
    if ((int)*optlen < 0) return (int)fail(EINVAL);
    n = *optlen < vlen ? *optlen : vlen;
    memcpy(optval, v, n);
    *optlen = n;
    return 0;
}

static int put_int(void *optval, socklen_t *optlen, int v)
{
    return put_opt(optval, optlen, &v, sizeof v);
}

static synack_time_us tv_to_us(const struct timeval *tv)
{
    return (synack_time_us)tv->tv_sec * 1000000 + tv->tv_usec;
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *optval, socklen_t *optlen)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    int v = 0, rc;
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    if (!optval || !optlen) return (int)leave(pd, fail(EFAULT)); /* before SO_ERROR is consumed */
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_ERROR:
            if (synack_getsockopt(pd->st, f->h, SYNACK_SO_ERROR, &v) < 0) return (int)leave(pd, -1);
            return (int)leave(pd, put_int(optval, optlen, v));
        case SO_TYPE: return (int)leave(pd, put_int(optval, optlen, f->type));
        case SO_ZEROCOPY: return (int)leave(pd, put_int(optval, optlen, f->zerocopy));
        case SO_DOMAIN: return (int)leave(pd, put_int(optval, optlen, AF_INET));
        case SO_PROTOCOL:
            return (int)leave(pd, put_int(optval, optlen, f->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP));
        case SO_ACCEPTCONN: return (int)leave(pd, put_int(optval, optlen, tcp_state(pd, f) == SYNACK_LISTEN));
        case SO_REUSEADDR:
            if (f->type != SOCK_STREAM) return (int)leave(pd, put_int(optval, optlen, 0));
            if (synack_getsockopt(pd->st, f->h, SYNACK_SO_REUSEADDR, &v) < 0) return (int)leave(pd, -1);
            return (int)leave(pd, put_int(optval, optlen, v));
        case SO_RCVBUF:
        case SO_SNDBUF:
            v = name == SO_RCVBUF ? f->rcvbuf : f->sndbuf;
            if (!v && synack_getsockopt(pd->st, f->h, name == SO_RCVBUF ? SYNACK_SO_RCVBUF : SYNACK_SO_SNDBUF,
                                        &v) < 0)
                return (int)leave(pd, -1);
            return (int)leave(pd, put_int(optval, optlen, v));
        case SO_LINGER: {
            struct linger l = { f->linger_on, f->linger_s };
            if (f->type == SOCK_STREAM && synack_getsockopt(pd->st, f->h, SYNACK_SO_LINGER_ZERO, &v) == 0 && v)
                l.l_onoff = 1, l.l_linger = 0;
            return (int)leave(pd, put_opt(optval, optlen, &l, sizeof l));
        }
        case SO_RCVTIMEO:
        case SO_SNDTIMEO: {
            synack_time_us t = name == SO_RCVTIMEO ? f->rcvtimeo : f->sndtimeo;
            struct timeval tv = { (time_t)(t / 1000000), (suseconds_t)(t % 1000000) };
            return (int)leave(pd, put_opt(optval, optlen, &tv, sizeof tv));
        }
        default: return (int)leave(pd, fail(ENOPROTOOPT));
        }
    }
    if (level == IPPROTO_TCP && f->type == SOCK_STREAM) {
        switch (name) {
        case TCP_NODELAY: rc = SYNACK_TCP_NODELAY; break;
        case TCP_FASTOPEN_CONNECT: rc = SYNACK_TCP_FASTOPEN_CONNECT; break;
        case TCP_MAXSEG: rc = SYNACK_TCP_MAXSEG; break;
        case TCP_USER_TIMEOUT: rc = SYNACK_TCP_USER_TIMEOUT; break;
        default: return (int)leave(pd, fail(ENOPROTOOPT));
        }
        if (synack_getsockopt(pd->st, f->h, rc, &v) < 0) return (int)leave(pd, -1);
        return (int)leave(pd, put_int(optval, optlen, v));
    }
    return (int)leave(pd, fail(ENOPROTOOPT));   /* Linux: ip_getsockopt() for other levels */
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *optval, socklen_t optlen)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    int v = 0;
    enter(pd);
    if (!(f = getfd(pd, fd))) return (int)leave(pd, fail(EBADF));
    if (!optval && optlen) return (int)leave(pd, fail(EFAULT));
    if (level == SOL_SOCKET && name == SO_LINGER) {
        struct linger l;
        if (optlen < (socklen_t)sizeof l) return (int)leave(pd, fail(EINVAL));
        if (!optval) return (int)leave(pd, fail(EFAULT));
        memcpy(&l, optval, sizeof l);
        f->linger_on = l.l_onoff != 0;
        f->linger_s = l.l_linger < 0 ? 0 : l.l_linger;
        if (f->type == SOCK_STREAM)
            synack_setsockopt(pd->st, f->h, SYNACK_SO_LINGER_ZERO, f->linger_on && f->linger_s == 0);
        return (int)leave(pd, 0);
    }
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        struct timeval tv;
        if (optlen < (socklen_t)sizeof tv) return (int)leave(pd, fail(EINVAL));
        if (!optval) return (int)leave(pd, fail(EFAULT));
        memcpy(&tv, optval, sizeof tv);
        if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return (int)leave(pd, fail(EDOM));
        if (tv.tv_sec < 0) tv.tv_sec = tv.tv_usec = 0;
        if (name == SO_RCVTIMEO) f->rcvtimeo = tv_to_us(&tv); else f->sndtimeo = tv_to_us(&tv);
        return (int)leave(pd, 0);
    }
    if (level != SOL_SOCKET && (level != IPPROTO_TCP || f->type != SOCK_STREAM))
        return (int)leave(pd, fail(ENOPROTOOPT));   /* Linux: ip_setsockopt() for other levels */
    if (optlen < (socklen_t)sizeof(int)) return (int)leave(pd, fail(EINVAL));
    if (!optval) return (int)leave(pd, fail(EFAULT));
    memcpy(&v, optval, sizeof v);
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR:
            if (f->type != SOCK_STREAM) return (int)leave(pd, 0);
            return (int)leave(pd, synack_setsockopt(pd->st, f->h, SYNACK_SO_REUSEADDR, v != 0));
        case SO_RCVBUF:
        case SO_SNDBUF: {
            /* Linux doubles the value (bookkeeping overhead), caps it at {r,w}mem_max and
             * floors it; getsockopt reports the result. The stack's rings have one size per
             * stack: SO_SNDBUF becomes the stack's per-socket send limit (what send() may
             * queue, as Linux's sk_sndbuf bounds the write queue); SO_RCVBUF is remembered. */
            unsigned u = (unsigned)v > PD_RMEM_MAX ? PD_RMEM_MAX : (unsigned)v;
            int min = name == SO_RCVBUF ? PD_MIN_RCVBUF : PD_MIN_SNDBUF;
            int val = (int)(u * 2) < min ? min : (int)(u * 2);
            if (name == SO_RCVBUF) f->rcvbuf = val; else f->sndbuf = val;
            if (name == SO_SNDBUF && f->type == SOCK_STREAM) {
                int mss = 0, st = tcp_state(pd, f);
                if (st == SYNACK_CLOSED || st == SYNACK_LISTEN || st == SYNACK_SYN_SENT ||
                    synack_getsockopt(pd->st, f->h, SYNACK_TCP_MAXSEG, &mss) < 0 || mss <= 0)
                    mss = 1460;
                synack_setsockopt(pd->st, f->h, SYNACK_SO_SNDBUF,
                                  (int)((long long)val * mss / (mss + PD_SKB_OVERHEAD)));
            }
            return (int)leave(pd, 0);
        }
        case SO_ZEROCOPY:                   /* Linux: TCP and UDP sockets, 0 or 1 */
            if (v < 0 || v > 1) return (int)leave(pd, fail(EINVAL));
            f->zerocopy = v;
            return (int)leave(pd, 0);
        default: return (int)leave(pd, fail(ENOPROTOOPT));
        }
    }
    switch (name) {
    case TCP_NODELAY: return (int)leave(pd, synack_setsockopt(pd->st, f->h, SYNACK_TCP_NODELAY, v != 0));
    case TCP_FASTOPEN_CONNECT:
        return (int)leave(pd, synack_setsockopt(pd->st, f->h, SYNACK_TCP_FASTOPEN_CONNECT, v));
    case TCP_MAXSEG: return (int)leave(pd, synack_setsockopt(pd->st, f->h, SYNACK_TCP_MAXSEG, v));
    case TCP_USER_TIMEOUT:
        return (int)leave(pd, synack_setsockopt(pd->st, f->h, SYNACK_TCP_USER_TIMEOUT, v));
    default: return (int)leave(pd, fail(ENOPROTOOPT));
    }
}

/* ---- poll ---- */

/* Linux's tcp_poll(), rebuilt from the stack's readiness bits, its state and what shutdown()
 * was asked. */
static short linux_events(struct pd *pd, const struct pd_fd *f)
{
    int ev = synack_sock_events(pd->st, f->h), st, closed, rcv_shut, snd_shut;
    short m = 0;
    if (ev < 0) return POLLNVAL;
    if (f->zc_pending) m |= POLLERR;
    if (f->type == SOCK_DGRAM) {
        if (ev & SYNACK_EV_IN) m |= POLLIN | POLLRDNORM;
        if (ev & SYNACK_EV_OUT) m |= POLLOUT | POLLWRNORM;
        if (ev & SYNACK_EV_ERR) m |= POLLERR;
        return m;
    }
    st = tcp_state(pd, f);
    if (st == SYNACK_LISTEN) return (ev & SYNACK_EV_IN) ? POLLIN | POLLRDNORM : 0;
    if (ev & SYNACK_EV_ERR) m |= POLLERR;
    if (st == SYNACK_CLOSED && !(ev & SYNACK_EV_HUP))
        return m | POLLOUT | POLLWRNORM | POLLHUP;   /* never connected: TCP_CLOSE */
    /* A deferred Fast Open connect is writable: the first write sends the SYN (Linux too). */
    if (st == SYNACK_SYN_SENT && (ev & SYNACK_EV_OUT)) return m | POLLOUT | POLLWRNORM;
    if (st == SYNACK_SYN_SENT || st == SYNACK_SYN_RCVD) return m;
    closed = st == SYNACK_CLOSED || st == SYNACK_TIME_WAIT;
    rcv_shut = f->shut_rd || (ev & SYNACK_EV_RDHUP) || closed;
    snd_shut = f->shut_wr || closed;
    if (closed || (rcv_shut && snd_shut)) m |= POLLHUP;
    if (rcv_shut) m |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (ev & SYNACK_EV_IN) m |= POLLIN | POLLRDNORM;
    if (snd_shut || (ev & SYNACK_EV_OUT)) m |= POLLOUT | POLLWRNORM;
    return m;
}

static int pd_poll(void *ud, struct pollfd *fds, nfds_t n, int timeout)
{
    struct pd *pd = ud;
    synack_time_us dl;
    int ready;
    if (n && !fds) return (int)fail(EFAULT);
    enter(pd);
    dl = timeout < 0 ? SYNACK_TIME_NEVER : vnow(pd) + (synack_time_us)timeout * 1000;
    for (int timed_out = 0;;) {
        ready = 0;
        for (nfds_t i = 0; i < n; i++) {
            struct pd_fd *f = getfd(pd, fds[i].fd);
            fds[i].revents = 0;
            if (fds[i].fd < 0) continue;
            if (!f) fds[i].revents = POLLNVAL;
            else fds[i].revents = (short)(linux_events(pd, f) & (fds[i].events | POLLERR | POLLHUP | POLLNVAL));
            if (fds[i].revents) ready++;
        }
        if (ready || timeout == 0 || timed_out) break;
        timed_out = block(pd, dl);
    }
    /* A poll() that only looks changes nothing: no wake-up for other callers. */
    finish(pd, 0);
    return ready;
}

/* ---- what packetdrill's model needs but synack does not have ---- */

static int pd_epoll_create(void *ud, int size) { (void)ud; (void)size; return (int)fail(ENOSYS); }
static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *ev)
{ (void)ud; (void)epfd; (void)op; (void)fd; (void)ev; return (int)fail(ENOSYS); }
static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *ev, int max, int timeout)
{ (void)ud; (void)epfd; (void)ev; (void)max; (void)timeout; return (int)fail(ENOSYS); }
static int pd_pipe(void *ud, int pipefd[2]) { (void)ud; (void)pipefd; return (int)fail(ENOSYS); }
static int pd_splice(void *ud, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
                     unsigned int flags)
{
    (void)ud; (void)fd_in; (void)off_in; (void)fd_out; (void)off_out; (void)len; (void)flags;
    return (int)fail(ENOSYS);
}

/* ---- the link and the clock ---- */

static int pd_netdev_send(void *ud, const void *buf, size_t count)
{
    struct pd *pd = ud;
    if (!buf) return (int)fail(EFAULT);
    pthread_mutex_lock(&pd->mu);
    pump(pd, 0);
    synack_input(pd->st, vnow(pd), buf, count);
    pump(pd, 1);
    pthread_mutex_unlock(&pd->mu);
    return 0;
}

static int pd_netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
    struct pd *pd = ud;
    struct pd_pkt *p;
    if (!buf || !count) return (int)fail(EFAULT);
    pthread_mutex_lock(&pd->mu);
    pump(pd, 0);
    settle(pd);
    for (int guard = 0; !pd->qhead && guard < 100000; guard++) {
        synack_time_us t = synack_poll_at(pd->st);
        if (t == SYNACK_TIME_NEVER) break;
        run_until(pd, t > vnow(pd) ? t : vnow(pd));
    }
    p = pd->qhead;
    if (!p) {
        *count = 0;
        if (time_usecs) *time_usecs = pd->wall0_us + vnow(pd);
        pthread_mutex_unlock(&pd->mu);
        return 0;
    }
    pd->qhead = p->next;
    if (!pd->qhead) pd->qtail = NULL;
    pd->qlen--;
    pthread_mutex_unlock(&pd->mu);
    if (p->len < *count) *count = p->len;
    memcpy(buf, p->data, *count);
    if (time_usecs) *time_usecs = pd->wall0_us + p->t;
    free(p);
    return 0;
}

static int pd_usleep(void *ud, useconds_t usec)
{
    struct pd *pd = ud;
    pthread_mutex_lock(&pd->mu);
    pump(pd, 0);
    run_until(pd, vnow(pd) + usec);
    pthread_mutex_unlock(&pd->mu);
    return 0;
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
    struct pd *pd = ud;
    long long t;
    pthread_mutex_lock(&pd->mu);
    t = pd->wall0_us + vnow(pd);
    if (pd->returner_pending && pthread_equal(pd->returner, pthread_self())) {
        pd->returner_pending = 0;
        pthread_cond_broadcast(&pd->settled);
    }
    pthread_mutex_unlock(&pd->mu);
    if (tv) {
        tv->tv_sec = (time_t)(t / 1000000);
        tv->tv_usec = (suseconds_t)(t % 1000000);
    }
    if (tz) memset(tz, 0, sizeof *tz);
    return 0;
}

static void pd_free(void *ud)
{
    struct pd *pd = ud;
    struct pd_pkt *p, *n;
    if (!pd) return;
    for (p = pd->qhead; p; p = n) { n = p->next; free(p); }
    synack_stack_free(pd->st);
    pthread_cond_destroy(&pd->cv);
    pthread_cond_destroy(&pd->settled);
    pthread_mutex_destroy(&pd->mu);
    free(pd);
}

/* ---- tracing (verbose=1) ---- */

static void trace_seg(void *ctx, synack_time_us now, enum synack_dir dir, const struct synack_seg_info *s)
{
    char a[16], b[16], fl[9];
    int n = 0;
    (void)ctx;
    if (s->flags & SYNACK_SYN) fl[n++] = 'S';
    if (s->flags & SYNACK_FIN) fl[n++] = 'F';
    if (s->flags & SYNACK_RST) fl[n++] = 'R';
    if (s->flags & SYNACK_PSH) fl[n++] = 'P';
    if (s->flags & SYNACK_ACK) fl[n++] = '.';
    fl[n] = 0;
    fprintf(stderr, "synack-pd %lld.%06lld %s %s:%u > %s:%u %s %u:%u(%u) ack %u win %u\n",
            (long long)(now / 1000000), (long long)(now % 1000000), dir == SYNACK_DIR_IN ? "<" : ">",
            synack_ip_str(s->saddr, a), s->sport, synack_ip_str(s->daddr, b), s->dport, fl, s->seq,
            s->seq + s->len, s->len, s->ack, s->window);
}

static void trace_state(void *ctx, synack_time_us now, int conn, int from, int to, const char *event)
{
    (void)ctx;
    fprintf(stderr, "synack-pd %lld.%06lld conn %d %s -> %s (%s)\n", (long long)(now / 1000000),
            (long long)(now % 1000000), conn, synack_state_name(from), synack_state_name(to), event);
}

/* ---- init ---- */

static int parse_flags(struct pd *pd, const char *flags)
{
    char *copy, *save = NULL, *tok;
    int bad = 0;
    if (!flags || !*flags) return 0;
    if (!(copy = strdup(flags))) return -1;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *end;
        const char *key = tok, *val;
        unsigned long long n;
        if (!*tok) continue;
        if (!eq) { fprintf(stderr, "synack-packetdrill: so_flags: '%s' is not key=value\n", tok); bad = 1; continue; }
        *eq = 0;
        val = eq + 1;
        if (!strcmp(key, "local")) {
            if (synack_ip_parse(val, &pd->cfg.addr) < 0) {
                fprintf(stderr, "synack-packetdrill: so_flags: bad address '%s'\n", val);
                bad = 1;
            }
            continue;
        }
        errno = 0;
        n = strtoull(val, &end, 0);
        if (errno || end == val || *end || n > UINT_MAX) {
            fprintf(stderr, "synack-packetdrill: so_flags: bad number '%s' for %s\n", val, key);
            bad = 1;
            continue;
        }
#define MS(field) pd->cfg.field = (synack_time_us)n * 1000
        if (!strcmp(key, "rcvbuf")) pd->cfg.rcvbuf_bytes = (unsigned)n;
        else if (!strcmp(key, "sndbuf")) pd->cfg.sndbuf_bytes = (unsigned)n;
        else if (!strcmp(key, "mss")) pd->cfg.mtu = (unsigned)n + 40;
        else if (!strcmp(key, "mtu")) pd->cfg.mtu = (unsigned)n;
        else if (!strcmp(key, "msl")) MS(msl_us);
        else if (!strcmp(key, "rto_min")) MS(rto_min_us);
        else if (!strcmp(key, "rto_initial")) MS(rto_initial_us);
        else if (!strcmp(key, "rto_max")) MS(rto_max_us);
        else if (!strcmp(key, "delack")) MS(delack_us);
        else if (!strcmp(key, "fin_wait2")) MS(fin_wait2_timeout_us);
        else if (!strcmp(key, "syn_retries")) pd->cfg.syn_retries = (unsigned)n;
        else if (!strcmp(key, "synack_retries")) pd->cfg.synack_retries = (unsigned)n;
        else if (!strcmp(key, "data_retries")) pd->cfg.data_retries = (unsigned)n;
        else if (!strcmp(key, "challenge_ack_limit")) pd->cfg.challenge_ack_limit = (unsigned)n;
        else if (!strcmp(key, "timestamps")) pd->cfg.timestamps = n != 0;
        else if (!strcmp(key, "window_scaling")) pd->cfg.window_scaling = n != 0;
        else if (!strcmp(key, "sockets")) pd->cfg.max_sockets = (unsigned)n;
        else if (!strcmp(key, "buffers")) pd->cfg.max_buffers = (unsigned)n;
        else if (!strcmp(key, "nodelay")) pd->nodelay = n != 0;
        else if (!strcmp(key, "syncookies")) pd->cfg.syncookies = (int)n; /* Linux's values */
        else if (!strcmp(key, "syn_backlog")) pd->cfg.syn_backlog = (unsigned)n;
        else if (!strcmp(key, "syncache_entries")) pd->cfg.syncache_entries = (unsigned)n;
        else if (!strcmp(key, "verbose")) pd->verbose = (int)n;
        else { fprintf(stderr, "synack-packetdrill: so_flags: unknown key '%s'\n", key); bad = 1; }
#undef MS
    }
    free(copy);
    return bad ? -1 : 0;
}

static void init_failed(struct packetdrill_interface *ifc, const char *why)
{
    fprintf(stderr, "synack-packetdrill: %s\n", why);
    /* packetdrill has no way to learn that init failed; end the run plainly. */
    (void)ifc;
    exit(EXIT_FAILURE);
}

PD_EXPORT void packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc)
{
    struct pd *pd = calloc(1, sizeof *pd);
    pthread_condattr_t ca;
    struct timespec ts;
    if (!pd) init_failed(ifc, "out of memory");
    synack_config_default(&pd->cfg);
    pd->cfg.addr = 0xc0a80001u;                 /* 192.168.0.1 */
    pd->cfg.max_sockets = 64;
    pd->cfg.max_buffers = 16;
    pd->cfg.rcvbuf_bytes = 12u << 20;           /* wscale 8, like Linux's default tcp_rmem */
    pd->cfg.sndbuf_bytes = 256u << 10;
    if (parse_flags(pd, flags) < 0) init_failed(ifc, "bad --so_flags (see pd_interface.h)");
    if (synack_platform_random(pd->cfg.secret, sizeof pd->cfg.secret) < 0)
        init_failed(ifc, "no entropy for the stack's secret");
    if (pd->verbose) {
        pd->cfg.hooks.on_segment = trace_seg;
        pd->cfg.hooks.on_state = trace_state;
    }
    if (synack_stack_new(&pd->cfg, &pd->st) < 0) init_failed(ifc, "synack_stack_new failed (so_flags values?)");
    pthread_mutex_init(&pd->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pd->cv, &ca);
    pthread_cond_init(&pd->settled, &ca);
    pthread_condattr_destroy(&ca);
    pd->real0 = synack_platform_now_us();
    pd->skipped = 1000000;                      /* virtual time starts at 1 s */
    clock_gettime(CLOCK_REALTIME, &ts);
    pd->wall0_us = (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000 - 1000000;

    memset(ifc, 0, sizeof *ifc);
    ifc->userdata = pd;
    ifc->free = pd_free;
    ifc->socket = pd_socket;
    ifc->bind = pd_bind;
    ifc->listen = pd_listen;
    ifc->accept = pd_accept;
    ifc->connect = pd_connect;
    ifc->read = pd_read;
    ifc->readv = pd_readv;
    ifc->recv = pd_recv;
    ifc->recvfrom = pd_recvfrom;
    ifc->recvmsg = pd_recvmsg;
    ifc->write = pd_write;
    ifc->writev = pd_writev;
    ifc->send = pd_send;
    ifc->sendto = pd_sendto;
    ifc->sendmsg = pd_sendmsg;
    ifc->fcntl = pd_fcntl;
    ifc->ioctl = pd_ioctl;
    ifc->close = pd_close;
    ifc->shutdown = pd_shutdown;
    ifc->getsockopt = pd_getsockopt;
    ifc->setsockopt = pd_setsockopt;
    ifc->poll = pd_poll;
    ifc->netdev_send = pd_netdev_send;
    ifc->netdev_receive = pd_netdev_receive;
    ifc->usleep = pd_usleep;
    ifc->gettimeofday = pd_gettimeofday;
    ifc->epoll_create = pd_epoll_create;
    ifc->epoll_ctl = pd_epoll_ctl;
    ifc->epoll_wait = pd_epoll_wait;
    ifc->pipe = pd_pipe;
    ifc->splice = pd_splice;
}

PD_EXPORT size_t synack_pd_pending(void *ud)
{
    struct pd *pd = ud;
    size_t n;
    pthread_mutex_lock(&pd->mu);
    pump(pd, 0);
    n = pd->qlen;
    pthread_mutex_unlock(&pd->mu);
    return n;
}

PD_EXPORT struct synack_stack *synack_pd_stack(void *ud)
{
    return ((struct pd *)ud)->st;
}

PD_EXPORT int synack_pd_handle(void *ud, int fd)
{
    struct pd *pd = ud;
    struct pd_fd *f;
    int h;
    pthread_mutex_lock(&pd->mu);
    f = getfd(pd, fd);
    h = f ? f->h : -1;
    pthread_mutex_unlock(&pd->mu);
    return h;
}

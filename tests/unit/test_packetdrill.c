/* The packetdrill adapter (build/libsynack-packetdrill.so, issue 5) driven through its
 * interface by tests/harness/pd_driver.c: handshakes, refusal, teardown both ways,
 * simultaneous open and close, RST and SYN in every synchronized state (RFC 5961), TIME_WAIT
 * (RFC 1337, RFC 6191), blocking calls on a second thread, timers inside usleep, descriptors,
 * fcntl, poll, socket options and errno values. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "../harness/test.h"
#include "../harness/pd_driver.h"
#include "synack/synack.h"

#define OPEN(d, flags) CHECK_MSG(pdd_open(&(d), flags) == 0, "%s", (d).err)
#define PLAY(d, script) CHECK_MSG(pdd_play(&(d), script) == 0, "%s", (d).err)
#define U(d) (d).ud
#define ERRNO(call, e) do { errno = 0; long r_ = (long)(call); int e_ = errno;                  \
    if (r_ != -1 || e_ != (e)) { test_fail(__FILE__, __LINE__, "%s: expected -1/%s, got %ld/%d",   \
        #call, #e, r_, e_); return; } } while (0)

static struct sockaddr_in sa(uint32_t addr, uint16_t port)
{
    struct sockaddr_in s;
    memset(&s, 0, sizeof s);
    s.sin_family = AF_INET;
    s.sin_addr.s_addr = htonl(addr);
    s.sin_port = htons(port);
    return s;
}
#define LOCAL 0xc0a80001u
#define REMOTE 0xc0000201u

static int tcp_socket(struct pdd *d)
{
    return d->ifc.socket(d->ud, AF_INET, SOCK_STREAM, IPPROTO_TCP);
}

/* socket, SO_REUSEADDR, bind 192.168.0.1:port, listen: the descriptor or -1. */
static int listener(struct pdd *d, uint16_t port)
{
    int one = 1, fd = tcp_socket(d);
    struct sockaddr_in s = sa(LOCAL, port);
    if (fd < 0 || d->ifc.setsockopt(d->ud, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        d->ifc.bind(d->ud, fd, (struct sockaddr *)&s, sizeof s) < 0 || d->ifc.listen(d->ud, fd, 1) < 0)
        return -1;
    return fd;
}

static int nb_connect(struct pdd *d, int fd, uint16_t port)
{
    struct sockaddr_in s = sa(REMOTE, port);
    return d->ifc.connect(d->ud, fd, (struct sockaddr *)&s, sizeof s);
}

static const char *passive_open =
    "< S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>\n"
    "> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>\n"
    "< . 1:1(0) ack 1 win 257\n";

/* A listener on 3 and an accepted connection on 4 (ESTABLISHED, RCV.NXT 1, SND.NXT 1). */
static int established(struct pdd *d)
{
    int ls = listener(d, 8080);
    if (ls != 3) return -1;
    if (pdd_play(d, passive_open) < 0) return -1;
    return d->ifc.accept(d->ud, ls, NULL, NULL);
}

static void pdsleep_real(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

/* ---- descriptors, fcntl, errno ---- */

TEST(pd_fd_numbers_and_fcntl)
{
    struct pdd d;
    int fd;
    OPEN(d, NULL);
    CHECK_EQ(tcp_socket(&d), 3);
    CHECK_EQ(tcp_socket(&d), 4);
    CHECK_EQ(d.ifc.fcntl(U(d), 3, F_GETFL), O_RDWR);
    CHECK_EQ(d.ifc.fcntl(U(d), 3, F_SETFL, O_RDWR | O_NONBLOCK), 0);
    CHECK_EQ(d.ifc.fcntl(U(d), 3, F_GETFL), O_RDWR | O_NONBLOCK);
    CHECK_EQ(d.ifc.fcntl(U(d), 3, F_SETFL, O_RDWR), 0);
    CHECK_EQ(d.ifc.fcntl(U(d), 3, F_GETFL), O_RDWR);
    CHECK_EQ(d.ifc.close(U(d), 3), 0);
    CHECK_EQ(tcp_socket(&d), 3);                   /* lowest free number, like a process */
    fd = d.ifc.socket(U(d), AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK_EQ(fd, 5);
    CHECK_EQ(d.ifc.fcntl(U(d), fd, F_GETFL), O_RDWR | O_NONBLOCK);
    CHECK_EQ(d.ifc.socket(U(d), AF_INET, SOCK_DGRAM, 0), 6);
    ERRNO(d.ifc.fcntl(U(d), 0, F_GETFL), EBADF);
    ERRNO(d.ifc.fcntl(U(d), 7, F_GETFL), EBADF);
    ERRNO(d.ifc.close(U(d), 2), EBADF);
    ERRNO(d.ifc.close(U(d), -1), EBADF);
    ERRNO(d.ifc.close(U(d), 100000), EBADF);
    CHECK_EQ(d.ifc.close(U(d), 4), 0);
    ERRNO(d.ifc.close(U(d), 4), EBADF);
    ERRNO(d.ifc.listen(U(d), 4, 1), EBADF);
    ERRNO(d.ifc.socket(U(d), AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
    ERRNO(d.ifc.socket(U(d), AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
    pdd_close(&d);
}

TEST(pd_errno_bad_args)
{
    struct pdd d;
    struct sockaddr_in s = sa(LOCAL, 8080), other = sa(0x0a000001u, 8080);
    int one = 1, v = 0;
    socklen_t len = sizeof v;
    char buf[16];
    OPEN(d, NULL);
    CHECK_EQ(tcp_socket(&d), 3);
    ERRNO(d.ifc.bind(U(d), 3, (struct sockaddr *)&s, sizeof s - 1), EINVAL);
    s.sin_family = AF_INET6;
    ERRNO(d.ifc.bind(U(d), 3, (struct sockaddr *)&s, sizeof s), EAFNOSUPPORT);
    s.sin_family = AF_INET;
    ERRNO(d.ifc.bind(U(d), 3, (struct sockaddr *)&other, sizeof other), EADDRNOTAVAIL);
    CHECK_EQ(d.ifc.bind(U(d), 3, (struct sockaddr *)&s, sizeof s), 0);
    ERRNO(d.ifc.bind(U(d), 3, (struct sockaddr *)&s, sizeof s), EINVAL);
    ERRNO(d.ifc.read(U(d), 3, buf, sizeof buf), ENOTCONN);
    ERRNO(d.ifc.write(U(d), 3, "x", 1), EPIPE);          /* Linux: not connected -> EPIPE */
    ERRNO(d.ifc.shutdown(U(d), 3, SHUT_WR), ENOTCONN);
    ERRNO(d.ifc.shutdown(U(d), 3, 7), EINVAL);
    ERRNO(d.ifc.accept(U(d), 3, NULL, NULL), EINVAL);    /* not listening */
    ERRNO(d.ifc.getsockopt(U(d), 3, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
    ERRNO(d.ifc.setsockopt(U(d), 3, SOL_SOCKET, 9999, &one, sizeof one), ENOPROTOOPT);
    ERRNO(d.ifc.setsockopt(U(d), 3, 4242, 1, &one, sizeof one), ENOPROTOOPT);
    ERRNO(d.ifc.setsockopt(U(d), 3, IPPROTO_TCP, TCP_NODELAY, &one, 2), EINVAL);
    ERRNO(d.ifc.setsockopt(U(d), 3, IPPROTO_TCP, TCP_MAXSEG, &(int){10}, sizeof(int)), EINVAL);
    ERRNO(d.ifc.getsockopt(U(d), 3, SOL_SOCKET, SO_ERROR, NULL, &len), EFAULT);
    CHECK_EQ(d.ifc.listen(U(d), 3, 1), 0);
    ERRNO(d.ifc.read(U(d), 3, buf, sizeof buf), ENOTCONN);
    CHECK_EQ(d.ifc.fcntl(U(d), 3, F_SETFL, O_NONBLOCK), 0);
    ERRNO(d.ifc.accept(U(d), 3, NULL, NULL), EAGAIN);
    CHECK_EQ(tcp_socket(&d), 4);
    ERRNO(d.ifc.bind(U(d), 4, (struct sockaddr *)&s, sizeof s), EADDRINUSE);
    CHECK_EQ(d.ifc.socket(U(d), AF_INET, SOCK_DGRAM, 0), 5);
    ERRNO(d.ifc.listen(U(d), 5, 1), EOPNOTSUPP);
    ERRNO(d.ifc.epoll_create(U(d), 1), ENOSYS);
    pdd_close(&d);
}

/* ---- handshakes ---- */

TEST(pd_passive_handshake_and_data)
{
    struct pdd d;
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer, ol = sizeof(int);
    char buf[256];
    int v = 0;
    OPEN(d, NULL);
    CHECK_EQ(listener(&d, 8080), 3);
    PLAY(d, passive_open);
    CHECK_EQ(d.ifc.accept(U(d), 3, (struct sockaddr *)&peer, &plen), 4);
    CHECK_EQ(plen, sizeof peer);
    CHECK_EQ(ntohl(peer.sin_addr.s_addr), REMOTE);
    CHECK_EQ(ntohs(peer.sin_port), 40000);
    CHECK_EQ(pdd_state(&d, 4), SYNACK_ESTABLISHED);
    CHECK_EQ(d.ifc.getsockopt(U(d), 4, IPPROTO_TCP, TCP_MAXSEG, &v, &ol), 0);
    CHECK_EQ(v, 1000);
    PLAY(d, "< P. 1:101(100) ack 1 win 257\n"
            "* > . 1:1(0) ack 101\n");
    CHECK_EQ(d.ifc.ioctl(U(d), 4, FIONREAD, &v), 0);
    CHECK_EQ(v, 100);
    CHECK_EQ(d.ifc.read(U(d), 4, buf, sizeof buf), 100);
    CHECK_EQ(d.ifc.write(U(d), 4, buf, 50), 50);
    PLAY(d, "> P. 1:51(50) ack 101\n"
            "< . 101:101(0) ack 51 win 257\n"
            "> none\n");
    ERRNO(d.ifc.write(U(d), 4, NULL, 10), EFAULT);
    PLAY(d, "< P. 101:111(10) ack 51 win 257\n");
    ERRNO(d.ifc.read(U(d), 4, NULL, 10), EFAULT);
    pdd_close(&d);
}

TEST(pd_passive_handshake_timestamps)
{
    struct pdd d;
    OPEN(d, NULL);
    CHECK_EQ(listener(&d, 8080), 3);
    /* Linux's SYN-ACK layout when the SYN offers everything. */
    PLAY(d, "< S 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n"
            "> S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 0 ecr 100,nop,wscale 8>\n"
            "< . 1:1(0) ack 1 win 257 <nop,nop,TS val 101 ecr 0>\n");
    CHECK_EQ(d.ifc.accept(U(d), 3, NULL, NULL), 4);
    /* RFC 7323 §4.3: the final ACK (SEG.SEQ = Last.ACK.sent) updates TS.Recent */
    CHECK_EQ(d.ifc.write(U(d), 4, "hello", 5), 5);
    PLAY(d, "> P. 1:6(5) ack 1 <nop,nop,TS val 0 ecr 101>\n"
            "< . 1:1(0) ack 6 win 257 <nop,nop,TS val 102 ecr 0>\n");
    CHECK_EQ(d.ifc.write(U(d), 4, "hello", 5), 5);
    PLAY(d, "> P. 6:11(5) ack 1 <nop,nop,TS val 0 ecr 102>\n");
    pdd_close(&d);
}

TEST(pd_active_handshake)
{
    struct pdd d;
    struct pollfd p;
    int v = -1;
    socklen_t ol = sizeof v;
    OPEN(d, NULL);
    pdd_new_conn(&d, 8080, 0);
    CHECK_EQ(tcp_socket(&d), 3);
    CHECK_EQ(d.ifc.fcntl(U(d), 3, F_SETFL, O_RDWR | O_NONBLOCK), 0);
    ERRNO(nb_connect(&d, 3, 8080), EINPROGRESS);
    ERRNO(nb_connect(&d, 3, 8080), EALREADY);
    p.fd = 3; p.events = POLLOUT; p.revents = 0;
    CHECK_EQ(d.ifc.poll(U(d), &p, 1, 0), 0);
    PLAY(d, "> S 0:0(0) <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 8>\n"
            "+0.05 < S. 0:0(0) ack 1 win 32792 <mss 1000,nop,wscale 7>\n"
            "> . 1:1(0) ack 1\n");
    CHECK_EQ(d.ifc.poll(U(d), &p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLOUT);
    CHECK_EQ(d.ifc.getsockopt(U(d), 3, SOL_SOCKET, SO_ERROR, &v, &ol), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(pdd_state(&d, 3), SYNACK_ESTABLISHED);
    ERRNO(nb_connect(&d, 3, 8080), EISCONN);
    pdd_close(&d);
}

/* ---- refusal ---- */

TEST(pd_refused)
{
    struct pdd d;
    struct pollfd p = { 3, POLLIN | POLLOUT, 0 };
    int v = 0;
    socklen_t ol = sizeof v;
    char buf[8];
    OPEN(d, NULL);
    /* RFC 9293 §3.10.7.1: a SYN to a closed port draws <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>,
     * an ACK draws <SEQ=SEG.ACK><RST>. */
    PLAY(d, "< S 0:0(0) win 65535 <mss 1460>\n"
            "> R. 0:0(0) ack 1\n"
            "< . 1:1(0) ack 77 win 65535\n"
            "> R 77:77(0)\n"
            "< R. 1:1(0) ack 77 win 65535\n"
            "> none\n");
    CHECK_EQ(pdd_counter(&d, SYNACK_C_tcp_rst_sent), 2);
    /* An active open answered by a RST: ECONNREFUSED. */
    pdd_new_conn(&d, 8081, 0);
    CHECK_EQ(tcp_socket(&d), 3);
    CHECK_EQ(d.ifc.fcntl(U(d), 3, F_SETFL, O_NONBLOCK), 0);
    ERRNO(nb_connect(&d, 3, 8081), EINPROGRESS);
    PLAY(d, "> S 0:0(0) <...>\n"
            "< R. 0:0(0) ack 1 win 0\n");
    CHECK_EQ(d.ifc.poll(U(d), &p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLIN | POLLOUT | POLLERR | POLLHUP);
    CHECK_EQ(d.ifc.getsockopt(U(d), 3, SOL_SOCKET, SO_ERROR, &v, &ol), 0);
    CHECK_EQ(v, ECONNREFUSED);
    CHECK_EQ(d.ifc.getsockopt(U(d), 3, SOL_SOCKET, SO_ERROR, &v, &ol), 0);
    CHECK_EQ(v, 0);                                 /* reading SO_ERROR clears it */
    CHECK_EQ(d.ifc.read(U(d), 3, buf, sizeof buf), 0);
    pdd_close(&d);
}

/* ---- blocking calls on a second thread ---- */

enum { B_ACCEPT, B_READ, B_CONNECT, B_CLOSE };
struct bcall {
    struct pdd *d;
    int op, fd, ret, err;
    long long t_end;
    pid_t tid;
    int done;
    char buf[512];
};

static void *bthread(void *p)
{
    struct bcall *b = p;
    struct sockaddr_in s = sa(REMOTE, 8080);
    __atomic_store_n(&b->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
    switch (b->op) {
    case B_ACCEPT: b->ret = b->d->ifc.accept(b->d->ud, b->fd, NULL, NULL); break;
    case B_READ: b->ret = (int)b->d->ifc.read(b->d->ud, b->fd, b->buf, sizeof b->buf); break;
    case B_CLOSE: b->ret = b->d->ifc.close(b->d->ud, b->fd); break;
    default: b->ret = b->d->ifc.connect(b->d->ud, b->fd, (struct sockaddr *)&s, sizeof s); break;
    }
    b->err = errno;
    b->t_end = pdd_now(b->d);
    __atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* 1 once the thread sleeps in the kernel (state S: a condition variable, not a spin) without
 * having returned; 0 if it returned or never slept within 2 s. */
static int sleeping(struct bcall *b)
{
    for (int i = 0; i < 2000; i++) {
        pid_t tid = __atomic_load_n(&b->tid, __ATOMIC_SEQ_CST);
        char path[64], st[256], *rp;
        FILE *f;
        size_t n;
        if (__atomic_load_n(&b->done, __ATOMIC_SEQ_CST)) return 0;
        if (tid) {
            snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
            if ((f = fopen(path, "r"))) {
                n = fread(st, 1, sizeof st - 1, f);
                fclose(f);
                st[n] = 0;
                rp = strrchr(st, ')');
                if (rp && rp[1] == ' ' && rp[2] == 'S') {
                    pdsleep_real(2000);          /* and still asleep a moment later */
                    if (!__atomic_load_n(&b->done, __ATOMIC_SEQ_CST)) return 1;
                }
            }
        }
        pdsleep_real(1000);
    }
    return 0;
}

TEST(pd_blocking_accept)
{
    struct pdd d;
    struct bcall b;
    pthread_t th;
    long long t0;
    OPEN(d, NULL);
    CHECK_EQ(listener(&d, 8080), 3);
    memset(&b, 0, sizeof b);
    b.d = &d; b.op = B_ACCEPT; b.fd = 3;
    t0 = pdd_now(&d);
    CHECK(pthread_create(&th, NULL, bthread, &b) == 0);
    CHECK(sleeping(&b));
    PLAY(d, "+0.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>\n"
            "> S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n"
            "+0.1 < . 1:1(0) ack 1 win 257\n");
    pthread_join(th, NULL);
    CHECK_EQ(b.ret, 4);
    /* accept returned when the handshake completed, not when time moved on */
    CHECK_MSG(b.t_end - t0 >= 190000 && b.t_end - t0 < 260000, "accept returned at +%lld us", b.t_end - t0);
    pdd_close(&d);
}

TEST(pd_blocking_read)
{
    struct pdd d;
    struct bcall b;
    pthread_t th;
    long long t0;
    OPEN(d, NULL);
    CHECK_EQ(established(&d), 4);
    memset(&b, 0, sizeof b);
    b.d = &d; b.op = B_READ; b.fd = 4;
    t0 = pdd_now(&d);
    CHECK(pthread_create(&th, NULL, bthread, &b) == 0);
    CHECK(sleeping(&b));
    PLAY(d, "+0.1 < P. 1:301(300) ack 1 win 257\n"
            "+0.1 sleep\n");
    pthread_join(th, NULL);
    CHECK_EQ(b.ret, 300);
    CHECK_MSG(b.t_end - t0 >= 90000 && b.t_end - t0 < 150000, "read returned at +%lld us", b.t_end - t0);
    /* the same with end of stream */
    memset(&b, 0, sizeof b);
    b.d = &d; b.op = B_READ; b.fd = 4;
    CHECK(pthread_create(&th, NULL, bthread, &b) == 0);
    CHECK(sleeping(&b));
    PLAY(d, "+0.1 < F. 301:301(0) ack 1 win 257\n");
    pthread_join(th, NULL);
    CHECK_EQ(b.ret, 0);
    pdd_close(&d);
}

TEST(pd_blocking_connect)
{
    struct pdd d;
    struct bcall b;
    pthread_t th;
    OPEN(d, NULL);
    pdd_new_conn(&d, 8080, 0);
    CHECK_EQ(tcp_socket(&d), 3);
    memset(&b, 0, sizeof b);
    b.d = &d; b.op = B_CONNECT; b.fd = 3;
    CHECK(pthread_create(&th, NULL, bthread, &b) == 0);
    CHECK(sleeping(&b));
    PLAY(d, "> S 0:0(0) <...>\n"
            "+0.1 < S. 0:0(0) ack 1 win 5792 <mss 1460,nop,wscale 2,nop,nop,sackOK>\n"
            "> . 1:1(0) ack 1\n");
    pthread_join(th, NULL);
    CHECK_EQ(b.ret, 0);
    /* refused */
    pdd_new_conn(&d, 8080, 0);
    CHECK_EQ(tcp_socket(&d), 4);
    memset(&b, 0, sizeof b);
    b.d = &d; b.op = B_CONNECT; b.fd = 4;
    CHECK(pthread_create(&th, NULL, bthread, &b) == 0);
    CHECK(sleeping(&b));
    PLAY(d, "> S 0:0(0) <...>\n"
            "+0.1 < R. 0:0(0) ack 1 win 0\n");
    pthread_join(th, NULL);
    CHECK_EQ(b.ret, -1);
    CHECK_EQ(b.err, ECONNREFUSED);
    pdd_close(&d);
}

/* ---- timers ---- */

TEST(pd_synack_retransmission_timers)
{
    struct pdd d;
    uint8_t pkt[2048];
    size_t n;
    long long first, t;
    OPEN(d, NULL);
    CHECK_EQ(listener(&d, 8080), 3);
    /* netdev_receive with nothing queued jumps to the next timer: RTO 1 s (RFC 6298 2.1) */
    PLAY(d, "< S 0:0(0) win 32792 <mss 1000,nop,wscale 7>\n"
            "> S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n"
            "+1 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n");
    first = d.last;
    /* timers due during usleep fire inside it, each at its own deadline (backoff: 2 s) */
    d.ifc.usleep(U(d), 2500000);
    CHECK_EQ(d.pending(U(d)), 1);
    n = sizeof pkt;
    CHECK_EQ(d.ifc.netdev_receive(U(d), pkt, &n, &t), 0);
    CHECK(n > 40);
    CHECK_MSG(t - first >= 1990000 && t - first <= 2020000, "retransmitted at +%lld us", t - first);
    CHECK(pdd_now(&d) - first >= 2500000);
    CHECK_EQ(d.pending(U(d)), 0);
    pdd_close(&d);
}

/* ---- teardown ---- */

TEST(pd_teardown_local_first)
{
    struct pdd d;
    struct pollfd p = { 4, POLLIN | POLLOUT | POLLRDHUP, 0 };
    char buf[8];
    OPEN(d, "msl=100");
    CHECK_EQ(established(&d), 4);
    CHECK_EQ(d.ifc.shutdown(U(d), 4, SHUT_WR), 0);
    PLAY(d, "> F. 1:1(0) ack 1\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_FIN_WAIT_1);
    ERRNO(d.ifc.write(U(d), 4, "x", 1), EPIPE);
    PLAY(d, "< . 1:1(0) ack 2 win 257\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_FIN_WAIT_2);
    CHECK_EQ(d.ifc.poll(U(d), &p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLOUT);                   /* Linux: SEND_SHUTDOWN -> POLLOUT */
    PLAY(d, "< F. 1:1(0) ack 2 win 257\n"
            "> . 2:2(0) ack 2\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_TIME_WAIT);
    CHECK_EQ(d.ifc.read(U(d), 4, buf, sizeof buf), 0);
    CHECK_EQ(d.ifc.poll(U(d), &p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
    /* 2*MSL later the connection is gone: a segment draws a RST */
    PLAY(d, "+0.25 sleep\n"
            "< . 2:2(0) ack 2 win 257\n"
            "> R 2:2(0)\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_CLOSED);
    CHECK_EQ(d.ifc.close(U(d), 4), 0);
    pdd_close(&d);
}

TEST(pd_teardown_close_then_remote_fin)
{
    struct pdd d;
    OPEN(d, NULL);
    CHECK_EQ(established(&d), 4);
    CHECK_EQ(d.ifc.write(U(d), 4, "0123456789", 10), 10);
    PLAY(d, "> P. 1:11(10) ack 1\n"
            "< . 1:1(0) ack 11 win 257\n");
    CHECK_EQ(d.ifc.close(U(d), 4), 0);
    PLAY(d, "> F. 11:11(0) ack 1\n"
            "< . 1:1(0) ack 12 win 257\n"
            "< F. 1:1(0) ack 12 win 257\n"
            "> . 12:12(0) ack 2\n");
    pdd_close(&d);
}

TEST(pd_teardown_remote_first)
{
    struct pdd d;
    char buf[8];
    OPEN(d, NULL);
    CHECK_EQ(established(&d), 4);
    PLAY(d, "+0.01 < F. 1:1(0) ack 1 win 257\n"
            "> . 1:1(0) ack 2\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_CLOSE_WAIT);
    CHECK_EQ(d.ifc.read(U(d), 4, buf, sizeof buf), 0);
    CHECK_EQ(d.ifc.write(U(d), 4, "abc", 3), 3);   /* half-close: we may still send */
    PLAY(d, "> P. 1:4(3) ack 2\n"
            "< . 2:2(0) ack 4 win 257\n");
    CHECK_EQ(d.ifc.close(U(d), 4), 0);
    PLAY(d, "+0.01 > F. 4:4(0) ack 2\n"
            "+0.01 < . 2:2(0) ack 5 win 257\n"
            "+0.01 < . 2:2(0) ack 5 win 257\n"
            "> R 5:5(0)\n");
    pdd_close(&d);
}

TEST(pd_close_with_unread_data_and_linger0)
{
    struct pdd d;
    struct linger l = { 1, 0 }, g = { 0, 5 };
    socklen_t gl = sizeof g;
    OPEN(d, NULL);
    CHECK_EQ(established(&d), 4);
    PLAY(d, "< P. 1:101(100) ack 1 win 257\n"
            "* > . 1:1(0) ack 101\n");
    CHECK_EQ(d.ifc.close(U(d), 4), 0);              /* RFC 2525 2.17: unread data -> RST */
    PLAY(d, "> R. 1:1(0) ack 101\n");
    /* SO_LINGER {1, 0}: close() aborts */
    pdd_new_conn(&d, 40001, 8080);
    PLAY(d, passive_open);
    CHECK_EQ(d.ifc.accept(U(d), 3, NULL, NULL), 4);
    CHECK_EQ(d.ifc.setsockopt(U(d), 4, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
    CHECK_EQ(d.ifc.getsockopt(U(d), 4, SOL_SOCKET, SO_LINGER, &g, &gl), 0);
    CHECK_EQ(gl, sizeof g);
    CHECK_EQ(g.l_onoff, 1);
    CHECK_EQ(g.l_linger, 0);
    CHECK_EQ(d.ifc.close(U(d), 4), 0);
    PLAY(d, "> R. 1:1(0) ack 1\n");
    pdd_close(&d);
}

TEST(pd_linger_close_waits_for_fin_ack)
{
    struct pdd d;
    struct linger l = { 1, 1 };
    struct bcall b;
    pthread_t th;
    long long t0;
    OPEN(d, NULL);
    CHECK_EQ(established(&d), 4);
    CHECK_EQ(d.ifc.setsockopt(U(d), 4, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
    /* close() with SO_LINGER {1, 1} blocks until the FIN is acknowledged */
    memset(&b, 0, sizeof b);
    b.d = &d; b.op = B_CLOSE; b.fd = 4;
    t0 = pdd_now(&d);
    CHECK(pthread_create(&th, NULL, bthread, &b) == 0);
    CHECK(sleeping(&b));
    PLAY(d, "> F. 1:1(0) ack 1\n"
            "+0.1 < . 1:1(0) ack 2 win 257\n");
    pthread_join(th, NULL);
    CHECK_EQ(b.ret, 0);
    CHECK_MSG(b.t_end - t0 >= 90000 && b.t_end - t0 < 160000, "close returned at +%lld us", b.t_end - t0);
    /* ... or until the linger time is up (time skipped by usleep on the other thread) */
    pdd_new_conn(&d, 40001, 8080);
    PLAY(d, passive_open);
    CHECK_EQ(d.ifc.accept(U(d), 3, NULL, NULL), 4);
    CHECK_EQ(d.ifc.setsockopt(U(d), 4, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
    memset(&b, 0, sizeof b);
    b.d = &d; b.op = B_CLOSE; b.fd = 4;
    t0 = pdd_now(&d);
    CHECK(pthread_create(&th, NULL, bthread, &b) == 0);
    CHECK(sleeping(&b));
    PLAY(d, "> F. 1:1(0) ack 1\n"
            "+1.5 sleep\n");
    pthread_join(th, NULL);
    CHECK_EQ(b.ret, 0);
    CHECK_MSG(b.t_end - t0 >= 1000000 && b.t_end - t0 < 1100000, "close returned at +%lld us", b.t_end - t0);
    pdd_close(&d);
}

/* ---- simultaneous open and close ---- */

TEST(pd_simultaneous_open)
{
    struct pdd d;
    struct sockaddr_in s = sa(LOCAL, 8080);
    int v = -1;
    socklen_t ol = sizeof v;
    OPEN(d, NULL);
    pdd_new_conn(&d, 9090, 8080);
    CHECK_EQ(tcp_socket(&d), 3);
    CHECK_EQ(d.ifc.bind(U(d), 3, (struct sockaddr *)&s, sizeof s), 0);
    CHECK_EQ(d.ifc.fcntl(U(d), 3, F_SETFL, O_NONBLOCK), 0);
    ERRNO(nb_connect(&d, 3, 9090), EINPROGRESS);
    /* RFC 9293 figure 8: the SYNs cross; each side answers with a SYN-ACK at its ISS, and
     * each SYN-ACK completes the open. */
    PLAY(d, "> S 0:0(0) <mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 8>\n"
            "< S 0:0(0) win 32792 <mss 1000,nop,wscale 7>\n"
            "> S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n");
    CHECK_EQ(pdd_state(&d, 3), SYNACK_SYN_RCVD);
    PLAY(d, "< S. 0:0(0) ack 1 win 32792 <mss 1000,nop,wscale 7>\n");
    CHECK_EQ(pdd_state(&d, 3), SYNACK_ESTABLISHED);
    /* Figure 8 sends nothing more; Linux adds an ACK (with a D-SACK): either is fine. */
    CHECK(d.pending(U(d)) <= 1);
    if (d.pending(U(d))) PLAY(d, "> . 1:1(0) ack 1 <...>\n");
    CHECK_EQ(d.ifc.getsockopt(U(d), 3, SOL_SOCKET, SO_ERROR, &v, &ol), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(d.ifc.write(U(d), 3, "hi", 2), 2);
    PLAY(d, "> P. 1:3(2) ack 1\n");
    pdd_close(&d);
}

TEST(pd_simultaneous_close)
{
    struct pdd d;
    OPEN(d, NULL);
    CHECK_EQ(established(&d), 4);
    CHECK_EQ(d.ifc.shutdown(U(d), 4, SHUT_WR), 0);
    PLAY(d, "> F. 1:1(0) ack 1\n"
            "< F. 1:1(0) ack 1 win 257\n"
            "> . 2:2(0) ack 2\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_CLOSING);
    PLAY(d, "< . 2:2(0) ack 2 win 257\n"
            "> none\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_TIME_WAIT);
    pdd_close(&d);
}

/* ---- RFC 5961 in every synchronized state ---- */

/* Brings connection fd 4 into `state`; *rcv and *snd receive RCV.NXT and SND.NXT (relative). */
static int reach(struct pdd *d, int state, uint32_t *rcv, uint32_t *snd)
{
    *rcv = 1; *snd = 1;
    if (established(d) != 4) return -1;
    switch (state) {
    case SYNACK_ESTABLISHED: return 0;
    case SYNACK_CLOSE_WAIT:
    case SYNACK_LAST_ACK:
        *rcv = 2;
        if (pdd_play(d, "< F. 1:1(0) ack 1 win 257\n> . 1:1(0) ack 2\n") < 0) return -1;
        if (state == SYNACK_CLOSE_WAIT) return 0;
        *snd = 2;
        if (d->ifc.shutdown(d->ud, 4, SHUT_WR) < 0) return -1;
        return pdd_play(d, "> F. 1:1(0) ack 2\n");
    default:
        *snd = 2;
        if (d->ifc.shutdown(d->ud, 4, SHUT_WR) < 0 || pdd_play(d, "> F. 1:1(0) ack 1\n") < 0) return -1;
        if (state == SYNACK_FIN_WAIT_1) return 0;
        if (state == SYNACK_CLOSING) {
            *rcv = 2;
            return pdd_play(d, "< F. 1:1(0) ack 1 win 257\n> . 2:2(0) ack 2\n");
        }
        if (pdd_play(d, "< . 1:1(0) ack 2 win 257\n") < 0) return -1;
        if (state == SYNACK_FIN_WAIT_2) return 0;
        *rcv = 2;
        return pdd_play(d, "< F. 1:1(0) ack 2 win 257\n> . 2:2(0) ack 2\n");
    }
}

static const int sync_states[] = { SYNACK_ESTABLISHED, SYNACK_CLOSE_WAIT, SYNACK_FIN_WAIT_1,
                                   SYNACK_FIN_WAIT_2, SYNACK_CLOSING, SYNACK_LAST_ACK,
                                   SYNACK_TIME_WAIT };

TEST(pd_rfc5961_rst_and_syn_in_every_synchronized_state)
{
    for (size_t i = 0; i < sizeof sync_states / sizeof sync_states[0]; i++) {
        int state = sync_states[i];
        struct pdd d;
        uint32_t rcv, snd;
        char script[512];
        const char *name = synack_state_name(state);
        OPEN(d, NULL);
        CHECK_MSG(reach(&d, state, &rcv, &snd) == 0, "%s: %s", name, d.err);
        CHECK_MSG(pdd_state(&d, 4) == state, "%s: in %s", name, synack_state_name(pdd_state(&d, 4)));
        /* In-window RST not at RCV.NXT: challenge ACK, connection kept (RFC 5961 §3.2). */
        snprintf(script, sizeof script, "< R. %u:%u(0) ack %u win 257\n> . %u:%u(0) ack %u\n",
                 rcv + 1, rcv + 1, snd, snd, snd, rcv);
        CHECK_MSG(pdd_play(&d, script) == 0, "%s, RST at RCV.NXT+1: %s", name, d.err);
        CHECK_MSG(pdd_state(&d, 4) == state, "%s: RST+1 left %s", name, synack_state_name(pdd_state(&d, 4)));
        /* RST far outside the window: dropped silently. */
        snprintf(script, sizeof script, "< R. %u:%u(0) ack %u win 257\n> none\n", rcv + 0x40000000u,
                 rcv + 0x40000000u, snd);
        CHECK_MSG(pdd_play(&d, script) == 0, "%s, RST out of window: %s", name, d.err);
        /* SYN (here at RCV.NXT, which a plain RFC 793 stack would take as a reset): an ACK,
         * connection kept (RFC 5961 §4.2; in TIME_WAIT an old-sequence SYN is just ACKed). */
        snprintf(script, sizeof script, "< S %u:%u(0) win 257\n> . %u:%u(0) ack %u\n",
                 state == SYNACK_TIME_WAIT ? rcv - 1 : rcv, state == SYNACK_TIME_WAIT ? rcv - 1 : rcv,
                 snd, snd, rcv);
        CHECK_MSG(pdd_play(&d, script) == 0, "%s, SYN: %s", name, d.err);
        CHECK_MSG(pdd_state(&d, 4) == state, "%s: SYN left %s", name, synack_state_name(pdd_state(&d, 4)));
        /* RST exactly at RCV.NXT: the connection ends, silently; TIME_WAIT ignores it
         * (RFC 1337). */
        snprintf(script, sizeof script, "< R. %u:%u(0) ack %u win 257\n> none\n", rcv, rcv, snd);
        CHECK_MSG(pdd_play(&d, script) == 0, "%s, RST at RCV.NXT: %s", name, d.err);
        if (state == SYNACK_TIME_WAIT) {
            CHECK_MSG(pdd_state(&d, 4) == SYNACK_TIME_WAIT, "TIME_WAIT ended by a RST");
        } else {
            char buf[8];
            CHECK_MSG(pdd_state(&d, 4) == SYNACK_CLOSED, "%s: RST left %s", name,
                      synack_state_name(pdd_state(&d, 4)));
            if (state == SYNACK_ESTABLISHED || state == SYNACK_CLOSE_WAIT || state == SYNACK_FIN_WAIT_1 ||
                state == SYNACK_FIN_WAIT_2) {
                errno = 0;
                CHECK_MSG(d.ifc.read(U(d), 4, buf, sizeof buf) == -1 && errno == ECONNRESET,
                          "%s: read after RST: errno %d", name, errno);
            }
            /* and the 4-tuple is free: the next segment draws a RST */
            snprintf(script, sizeof script, "< . %u:%u(0) ack %u win 257\n> R %u:%u(0)\n", rcv, rcv, snd,
                     snd, snd);
            CHECK_MSG(pdd_play(&d, script) == 0, "%s, after RST: %s", name, d.err);
        }
        pdd_close(&d);
    }
}

TEST(pd_rfc5961_rst_window_boundaries)
{
    struct pdd d;
    /* rcvbuf 8192 without window scaling: RCV.WND is exactly 8192, RCV.NXT 1 */
    OPEN(d, "rcvbuf=8192");
    CHECK_EQ(listener(&d, 8080), 3);
    PLAY(d, "< S 0:0(0) win 32792 <mss 1000>\n"
            "> S. 0:0(0) ack 1 win 8192 <mss 1460>\n"
            "< . 1:1(0) ack 1 win 257\n");
    CHECK_EQ(d.ifc.accept(U(d), 3, NULL, NULL), 4);
    PLAY(d, "# RCV.NXT-1: outside the window, dropped\n"
            "< R. 0:0(0) ack 1 win 257\n"
            "> none\n"
            "# RCV.NXT+1 and the window's last byte: challenge ACK\n"
            "< R. 2:2(0) ack 1 win 257\n"
            "> . 1:1(0) ack 1 win 8192\n"
            "< R. 8192:8192(0) ack 1 win 257\n"
            "> . 1:1(0) ack 1\n"
            "# one past the window: dropped\n"
            "< R. 8193:8193(0) ack 1 win 257\n"
            "> none\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_ESTABLISHED);
    CHECK_EQ(pdd_counter(&d, SYNACK_C_tcp_challenge_acks), 2);
    PLAY(d, "< R. 1:1(0) ack 1 win 257\n"
            "> none\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_CLOSED);
    pdd_close(&d);
}

TEST(pd_rfc5961_challenge_ack_rate_limit)
{
    struct pdd d;
    OPEN(d, "challenge_ack_limit=2");
    CHECK_EQ(established(&d), 4);
    PLAY(d, "< R. 5:5(0) ack 1 win 257\n"
            "> . 1:1(0) ack 1\n"
            "< S 1:1(0) win 257\n"
            "> . 1:1(0) ack 1\n"
            "# the limit is reached\n"
            "< R. 5:5(0) ack 1 win 257\n"
            "> none\n"
            "< S 1:1(0) win 257\n"
            "> none\n"
            "# and recovers a second later\n"
            "+1.01 < R. 5:5(0) ack 1 win 257\n"
            "> . 1:1(0) ack 1\n");
    CHECK_EQ(pdd_counter(&d, SYNACK_C_tcp_challenge_acks), 3);
    CHECK_EQ(pdd_counter(&d, SYNACK_C_tcp_challenge_acks_limited), 2);
    CHECK_EQ(pdd_state(&d, 4), SYNACK_ESTABLISHED);
    pdd_close(&d);
}

/* ---- TIME_WAIT ---- */

TEST(pd_time_wait)
{
    struct pdd d;
    uint32_t rcv, snd;
    OPEN(d, "msl=1000");
    CHECK(reach(&d, SYNACK_TIME_WAIT, &rcv, &snd) == 0);
    /* RFC 1337: a RST does not end TIME_WAIT; a retransmitted FIN is ACKed again */
    PLAY(d, "+0.1 < R. 2:2(0) ack 2 win 257\n"
            "> none\n"
            "+0.1 < F. 1:1(0) ack 2 win 257\n"
            "> . 2:2(0) ack 2\n"
            "+0.5 < R 2:2(0) win 0\n"
            "> none\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_TIME_WAIT);
    /* the retransmitted FIN restarted the 2*MSL timer: still there 1.5 s after it */
    PLAY(d, "+1.0 sleep\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_TIME_WAIT);
    PLAY(d, "+0.6 sleep\n");
    CHECK_EQ(pdd_state(&d, 4), SYNACK_CLOSED);
    pdd_close(&d);
}

TEST(pd_time_wait_new_syn_rfc6191)
{
    struct pdd d;
    uint32_t rcv, snd;
    OPEN(d, NULL);
    CHECK(reach(&d, SYNACK_TIME_WAIT, &rcv, &snd) == 0);
    CHECK_EQ(d.ifc.close(U(d), 4), 0);
    /* an old SYN is only ACKed; one beyond RCV.NXT starts a new incarnation on the listener */
    PLAY(d, "< S 0:0(0) win 32792 <mss 1000>\n"
            "> . 2:2(0) ack 2\n");
    pdd_new_conn(&d, 40000, 8080);
    PLAY(d, "< S 5000:5000(0) win 32792 <mss 1000>\n"
            "> S. 0:0(0) ack 5001 <mss 1460>\n"
            "< . 5001:5001(0) ack 1 win 257\n");
    CHECK_EQ(d.ifc.accept(U(d), 3, NULL, NULL), 4);
    CHECK_EQ(pdd_counter(&d, SYNACK_C_tcp_timewait_recycled), 1);
    pdd_close(&d);
}

/* ---- poll, options ---- */

TEST(pd_poll_and_options)
{
    struct pdd d;
    struct pollfd p[3];
    int v = 0, one = 1;
    socklen_t ol = sizeof v;
    long long t0;
    OPEN(d, NULL);
    CHECK_EQ(listener(&d, 8080), 3);
    CHECK_EQ(tcp_socket(&d), 4);                    /* never connected */
    p[0].fd = 3; p[0].events = POLLIN;
    p[1].fd = 4; p[1].events = POLLIN | POLLOUT;
    p[2].fd = 99; p[2].events = POLLIN;
    CHECK_EQ(d.ifc.poll(U(d), p, 3, 0), 2);
    CHECK_EQ(p[0].revents, 0);
    CHECK_EQ(p[1].revents, POLLOUT | POLLHUP);      /* Linux: TCP_CLOSE */
    CHECK_EQ(p[2].revents, POLLNVAL);
    /* a poll timeout is virtual time too */
    t0 = pdd_now(&d);
    CHECK_EQ(d.ifc.poll(U(d), p, 1, 30), 0);
    CHECK(pdd_now(&d) - t0 >= 30000);
    PLAY(d, passive_open);
    CHECK_EQ(d.ifc.poll(U(d), p, 1, 0), 1);
    CHECK_EQ(p[0].revents, POLLIN);
    CHECK_EQ(d.ifc.accept(U(d), 3, NULL, NULL), 5);
    p[0].fd = 5; p[0].events = POLLIN | POLLOUT | POLLRDHUP;
    CHECK_EQ(d.ifc.poll(U(d), p, 1, 0), 1);
    CHECK_EQ(p[0].revents, POLLOUT);
    /* options, Linux numbers and conventions */
    CHECK_EQ(d.ifc.getsockopt(U(d), 5, IPPROTO_TCP, TCP_NODELAY, &v, &ol), 0);
    CHECK_EQ(v, 0);                                 /* Nagle on by default */
    CHECK_EQ(d.ifc.setsockopt(U(d), 5, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    CHECK_EQ(d.ifc.getsockopt(U(d), 5, IPPROTO_TCP, TCP_NODELAY, &v, &ol), 0);
    CHECK_EQ(v, 1);
    CHECK_EQ(d.ifc.getsockopt(U(d), 3, SOL_SOCKET, SO_REUSEADDR, &v, &ol), 0);
    CHECK_EQ(v, 1);
    CHECK_EQ(d.ifc.setsockopt(U(d), 5, SOL_SOCKET, SO_SNDBUF, &(int){21000}, sizeof(int)), 0);
    CHECK_EQ(d.ifc.getsockopt(U(d), 5, SOL_SOCKET, SO_SNDBUF, &v, &ol), 0);
    CHECK_EQ(v, 42000);                             /* Linux doubles it */
    CHECK_EQ(d.ifc.getsockopt(U(d), 5, SOL_SOCKET, SO_TYPE, &v, &ol), 0);
    CHECK_EQ(v, SOCK_STREAM);
    CHECK_EQ(d.ifc.getsockopt(U(d), 5, SOL_SOCKET, SO_ERROR, &v, &ol), 0);
    CHECK_EQ(v, 0);
    /* data, then the peer's FIN, then its RST */
    /* Quick-ACK mode (like Linux): the data is ACKed at once, then the FIN. */
    PLAY(d, "< P. 1:11(10) ack 1 win 257\n"
            "* > . 1:1(0) ack 11\n"
            "< F. 11:11(0) ack 1 win 257\n"
            "* > . 1:1(0) ack 12\n");
    CHECK_EQ(d.ifc.poll(U(d), p, 1, 0), 1);
    CHECK_EQ(p[0].revents, POLLIN | POLLOUT | POLLRDHUP);
    PLAY(d, "< R. 12:12(0) ack 1 win 257\n");
    CHECK_EQ(d.ifc.poll(U(d), p, 1, 0), 1);
    CHECK_EQ(p[0].revents, POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP);
    CHECK_EQ(d.ifc.getsockopt(U(d), 5, SOL_SOCKET, SO_ERROR, &v, &ol), 0);
    CHECK_EQ(v, ECONNRESET);
    pdd_close(&d);
}

/* ---- --so_flags ---- */

TEST(pd_so_flags)
{
    struct pdd d;
    struct sockaddr_in s = sa(LOCAL, 8080), mine = sa(0x0a010203u, 8080);
    int one = 1, v = 0;
    socklen_t ol = sizeof v;
    OPEN(d, "local=10.1.2.3,syncookies=2,mss=1000,rcvbuf=65535,sndbuf=32768");
    d.laddr = 0x0a010203u;
    CHECK_EQ(tcp_socket(&d), 3);
    ERRNO(d.ifc.bind(U(d), 3, (struct sockaddr *)&s, sizeof s), EADDRNOTAVAIL);
    CHECK_EQ(d.ifc.setsockopt(U(d), 3, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    CHECK_EQ(d.ifc.bind(U(d), 3, (struct sockaddr *)&mine, sizeof mine), 0);
    CHECK_EQ(d.ifc.listen(U(d), 3, 1), 0);
    /* mss=1000: our MSS option; rcvbuf=65535: no scaling needed (wscale 0), SYN window 65535;
     * syncookies=2: every SYN-ACK carries a cookie */
    PLAY(d, "< S 0:0(0) win 32792 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>\n"
            "> S. 0:0(0) ack 1 win 65535 <mss 1000,sackOK,TS val 0 ecr 100,nop,wscale 0>\n"
            "< . 1:1(0) ack 1 win 257 <nop,nop,TS val 101 ecr 0>\n");
    CHECK_EQ(pdd_counter(&d, SYNACK_C_tcp_syncookies_sent), 1);
    CHECK_EQ(d.ifc.accept(U(d), 3, NULL, NULL), 4);
    CHECK_EQ(d.ifc.getsockopt(U(d), 4, SOL_SOCKET, SO_SNDBUF, &v, &ol), 0);
    CHECK_EQ(v, 32768);
    pdd_close(&d);
}

/* ---- SO_ZEROCOPY / MSG_ZEROCOPY (commit 5b827ee) ---- */

#include <linux/errqueue.h>

/* recvmsg(MSG_ERRQUEUE) on fd: -1 (errno set) or 0 with *ee filled from its one cmsg, which must
 * be (SOL_IP, IP_RECVERR) holding a struct sock_extended_err; -2 if the cmsg is missing or
 * malformed (reported). */
static int zc_notification(struct pdd *d, int fd, struct sock_extended_err *ee)
{
    union { char buf[CMSG_SPACE(sizeof(struct sock_extended_err)) + 64]; struct cmsghdr align; } ctl;
    struct msghdr m;
    struct cmsghdr *c;
    ssize_t r;
    memset(&m, 0, sizeof m);
    memset(&ctl, 0, sizeof ctl);
    m.msg_control = ctl.buf;
    m.msg_controllen = sizeof ctl.buf;
    r = d->ifc.recvmsg(d->ud, fd, &m, MSG_ERRQUEUE);
    if (r < 0) return -1;
    if (r != 0) { test_fail(__FILE__, __LINE__, "recvmsg(MSG_ERRQUEUE) returned %zd, expected 0", r); return -2; }
    if (m.msg_flags & MSG_CTRUNC) { test_fail(__FILE__, __LINE__, "MSG_CTRUNC"); return -2; }
    c = CMSG_FIRSTHDR(&m);
    if (!c) { test_fail(__FILE__, __LINE__, "no cmsg in the notification"); return -2; }
    if (c->cmsg_level != SOL_IP || c->cmsg_type != IP_RECVERR ||
        c->cmsg_len != CMSG_LEN(sizeof(struct sock_extended_err))) {
        test_fail(__FILE__, __LINE__, "cmsg level %d type %d len %zu, expected SOL_IP/IP_RECVERR/%zu",
                  c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len, (size_t)CMSG_LEN(sizeof *ee));
        return -2;
    }
    if (CMSG_NXTHDR(&m, c)) { test_fail(__FILE__, __LINE__, "more than one cmsg"); return -2; }
    memcpy(ee, CMSG_DATA(c), sizeof *ee);
    return 0;
}

/* One notification [lo, hi]: SO_EE_ORIGIN_ZEROCOPY, SO_EE_CODE_ZEROCOPY_COPIED (synack copies). */
#define ZC_EXPECT(d, fd, lo, hi) do { struct sock_extended_err ee_; int r_ = zc_notification(&(d), fd, &ee_); \
    if (r_ == -2) return;                                                                           \
    CHECK_MSG(r_ == 0, "no zerocopy notification (errno %d), expected [%u, %u]", errno, (lo), (hi));  \
    CHECK_EQ(ee_.ee_errno, 0);                                                                      \
    CHECK_EQ(ee_.ee_origin, SO_EE_ORIGIN_ZEROCOPY);                                                 \
    CHECK_EQ(ee_.ee_code, SO_EE_CODE_ZEROCOPY_COPIED);                                              \
    CHECK_MSG(ee_.ee_info == (lo) && ee_.ee_data == (hi), "notification [%u, %u], expected [%u, %u]", \
              ee_.ee_info, ee_.ee_data, (lo), (hi));                                                \
    } while (0)

static ssize_t zc_sendmsg(struct pdd *d, int fd, const void *buf, size_t len, int flags)
{
    struct iovec iov = { (void *)buf, len };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    return d->ifc.sendmsg(d->ud, fd, &m, flags);
}

TEST(pd_zerocopy_errqueue_notifications)
{
    struct pdd d;
    struct pollfd p = { 4, POLLIN | POLLOUT, 0 };
    struct sock_extended_err ee;
    char data[64];
    int v = -1;
    socklen_t ol = sizeof v;
    memset(data, 'z', sizeof data);
    OPEN(d, NULL);
    CHECK_EQ(established(&d), 4);
    /* Without SO_ZEROCOPY, MSG_ZEROCOPY is an ordinary send: no notification, no number. */
    CHECK_EQ(d.ifc.getsockopt(U(d), 4, SOL_SOCKET, SO_ZEROCOPY, &v, &ol), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(zc_sendmsg(&d, 4, data, 10, MSG_ZEROCOPY), 10);
    ERRNO(zc_notification(&d, 4, &ee), EAGAIN);
    CHECK_EQ(d.ifc.poll(U(d), &p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLOUT);
    /* SO_ZEROCOPY: 0 or 1 */
    CHECK_EQ(d.ifc.setsockopt(U(d), 4, SOL_SOCKET, SO_ZEROCOPY, &(int){1}, sizeof(int)), 0);
    v = -1;
    CHECK_EQ(d.ifc.getsockopt(U(d), 4, SOL_SOCKET, SO_ZEROCOPY, &v, &ol), 0);
    CHECK_EQ(v, 1);
    ERRNO(d.ifc.setsockopt(U(d), 4, SOL_SOCKET, SO_ZEROCOPY, &(int){2}, sizeof(int)), EINVAL);
    CHECK_EQ(d.ifc.getsockopt(U(d), 4, SOL_SOCKET, SO_ZEROCOPY, &v, &ol), 0);
    CHECK_EQ(v, 1);
    ERRNO(zc_notification(&d, 4, &ee), EAGAIN);
    /* The first MSG_ZEROCOPY send is number 0; its completion waits in the error queue and
     * poll reports POLLERR until it is read. */
    CHECK_EQ(zc_sendmsg(&d, 4, data, 60, MSG_ZEROCOPY), 60);
    CHECK_EQ(d.ifc.poll(U(d), &p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLOUT | POLLERR);
    ZC_EXPECT(d, 4, 0u, 0u);
    ERRNO(zc_notification(&d, 4, &ee), EAGAIN);
    CHECK_EQ(d.ifc.poll(U(d), &p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLOUT);
    /* Two more coalesce into one notification [1, 2]. */
    CHECK_EQ(d.ifc.send(U(d), 4, data, 20, MSG_ZEROCOPY), 20);
    CHECK_EQ(zc_sendmsg(&d, 4, data, 30, MSG_ZEROCOPY), 30);
    ZC_EXPECT(d, 4, 1u, 2u);
    ERRNO(zc_notification(&d, 4, &ee), EAGAIN);
    /* A send of nothing, and a send without the flag, take no number. */
    CHECK_EQ(zc_sendmsg(&d, 4, data, 0, MSG_ZEROCOPY), 0);
    ERRNO(zc_notification(&d, 4, &ee), EAGAIN);
    CHECK_EQ(d.ifc.write(U(d), 4, data, 5), 5);
    ERRNO(zc_notification(&d, 4, &ee), EAGAIN);
    CHECK_EQ(zc_sendmsg(&d, 4, data, 5, MSG_ZEROCOPY), 5);
    ZC_EXPECT(d, 4, 3u, 3u);
    /* Turned off, MSG_ZEROCOPY takes no number again. */
    CHECK_EQ(d.ifc.setsockopt(U(d), 4, SOL_SOCKET, SO_ZEROCOPY, &(int){0}, sizeof(int)), 0);
    CHECK_EQ(zc_sendmsg(&d, 4, data, 5, MSG_ZEROCOPY), 5);
    ERRNO(zc_notification(&d, 4, &ee), EAGAIN);
    CHECK_EQ(d.ifc.setsockopt(U(d), 4, SOL_SOCKET, SO_ZEROCOPY, &(int){1}, sizeof(int)), 0);
    CHECK_EQ(zc_sendmsg(&d, 4, data, 5, MSG_ZEROCOPY), 5);
    ZC_EXPECT(d, 4, 4u, 4u);
    pdd_close(&d);
}

/* ---- SO_SNDBUF: packetdrill's blocking/blocking-write.pkt (commit 5b827ee) ---- */

struct wcall {
    struct bcall b;             /* what sleeping() looks at */
    size_t len;
};

static char wc_big[61000];

static void *wthread(void *p)
{
    struct wcall *w = p;
    struct bcall *b = &w->b;
    __atomic_store_n(&b->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
    b->ret = (int)b->d->ifc.write(b->d->ud, b->fd, wc_big, w->len);
    b->err = errno;
    b->t_end = pdd_now(b->d);
    __atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Linux doubles SO_SNDBUF (21000 -> 42000) and charges each queued segment's bookkeeping
 * against it, so a blocking write of 61000 bytes with MSS 1000 returns once the peer has ACKed
 * 36001, and not at 30001 or 35001 (with 42000 bytes of payload room it returned at 30001). */
TEST(pd_blocking_write_sndbuf)
{
    struct pdd d;
    struct wcall w;
    pthread_t th;
    int v = 0, done = 0;
    socklen_t ol = sizeof v;
    static const char *const acks[] = { "10001", "30001", "35001" };
    char line[128];
    OPEN(d, NULL);
    CHECK_EQ(listener(&d, 8080), 3);
    PLAY(d, "+.1 < S 0:0(0) win 50000 <mss 1000,nop,wscale 0>\n"
            "> S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>\n"
            "+.1 < . 1:1(0) ack 1 win 50000\n");
    CHECK_EQ(d.ifc.accept(U(d), 3, NULL, NULL), 4);
    CHECK_EQ(d.ifc.setsockopt(U(d), 4, SOL_SOCKET, SO_SNDBUF, &(int){21000}, sizeof(int)), 0);
    CHECK_EQ(d.ifc.getsockopt(U(d), 4, SOL_SOCKET, SO_SNDBUF, &v, &ol), 0);
    CHECK_EQ(v, 42000);
    memset(wc_big, 'w', sizeof wc_big);
    memset(&w, 0, sizeof w);
    w.b.d = &d; w.b.fd = 4; w.len = sizeof wc_big;
    CHECK(pthread_create(&th, NULL, wthread, &w) == 0);
    CHECK_MSG(sleeping(&w.b), "write(61000) returned %d at once", w.b.ret);
    for (size_t i = 0; i < sizeof acks / sizeof acks[0]; i++) {
        snprintf(line, sizeof line, "+.1 < . 1:1(0) ack %s win 50000\n+.05 sleep\n", acks[i]);
        PLAY(d, line);
        CHECK_MSG(sleeping(&w.b), "write(61000) returned %d after the peer ACKed %s", w.b.ret, acks[i]);
    }
    PLAY(d, "+.1 < . 1:1(0) ack 36001 win 50000\n"
            "+.05 sleep\n");
    for (int i = 0; i < 2000 && !(done = __atomic_load_n(&w.b.done, __ATOMIC_SEQ_CST)); i++) pdsleep_real(1000);
    if (!done) {
        /* Unblock the writer before failing: a RST ends the connection. */
        PLAY(d, "< R. 1:1(0) ack 36001 win 0\n");
        pthread_join(th, NULL);
        CHECK_MSG(0, "write(61000) still blocked after the peer ACKed 36001");
    }
    pthread_join(th, NULL);
    CHECK_EQ(w.b.ret, 61000);
    pdd_close(&d);
}

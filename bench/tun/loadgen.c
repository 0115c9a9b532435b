/* Load generator and reference servers for bench/tun_bench.sh (Linux sockets only; built by
 * the script, not by the Makefile).
 *
 *   loadgen server PORT echo|discard|chargen   a Linux server, to compare synack serve with
 *   loadgen send HOST PORT BYTES               sends BYTES, half-closes, waits for the close;
 *                                              prints "MiB/s"
 *   loadgen recv HOST PORT BYTES               reads BYTES, closes; prints "MiB/s"
 *   loadgen rate HOST PORT CONC SECONDS        short connections, CONC at a time: connect,
 *                                              100-byte request, 100-byte reply (echo), close;
 *                                              prints "conn/s failures"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static struct sockaddr_in addr_of(const char *host, const char *port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(port));
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "bad address %s\n", host);
        exit(2);
    }
    return a;
}

static int dial(const char *host, const char *port)
{
    struct sockaddr_in a = addr_of(host, port);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) die("socket");
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    return s;
}

static char buf[1 << 20];

/* ---- server: epoll, one state per fd ---- */

enum { ECHO, DISCARD, CHARGEN };

static int server(const char *port, int mode)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)atoi(port));
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0) die("listen");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l}, evs[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
    memset(buf, 'x', sizeof buf);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == l) {
                int c;
                while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    ev.events = EPOLLIN | (mode == CHARGEN ? EPOLLOUT : 0);
                    ev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                }
                continue;
            }
            if (mode == CHARGEN && (evs[i].events & EPOLLOUT)) {
                if (send(fd, buf, sizeof buf, 0) < 0 && errno != EAGAIN) { close(fd); continue; }
            }
            if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t r = recv(fd, buf, sizeof buf, 0);
                if (r == 0 || (r < 0 && errno != EAGAIN)) { close(fd); continue; }
                if (r > 0 && mode == ECHO) {
                    /* replies are small here (100 bytes); a full buffer just blocks briefly */
                    ssize_t off = 0;
                    while (off < r) {
                        ssize_t w = send(fd, buf + off, (size_t)(r - off), 0);
                        if (w < 0 && errno != EAGAIN) break;
                        if (w > 0) off += w;
                    }
                }
            }
        }
    }
    return 0;
}

/* ---- bulk ---- */

static int bulk_send(const char *host, const char *port, long long bytes)
{
    int s = dial(host, port);
    memset(buf, 'y', sizeof buf);
    double t0 = now_s();
    long long left = bytes;
    while (left > 0) {
        ssize_t w = send(s, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf, 0);
        if (w < 0) die("send");
        left -= w;
    }
    shutdown(s, SHUT_WR);
    while (recv(s, buf, sizeof buf, 0) > 0) {
    }
    double t = now_s() - t0;
    close(s);
    printf("%.1f\n", bytes / t / 1048576);
    return 0;
}

static int bulk_recv(const char *host, const char *port, long long bytes)
{
    int s = dial(host, port);
    double t0 = now_s();
    long long left = bytes;
    while (left > 0) {
        ssize_t r = recv(s, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf, 0);
        if (r <= 0) die("recv (connection ended early)");
        left -= r;
    }
    double t = now_s() - t0;
    close(s);
    printf("%.1f\n", bytes / t / 1048576);
    return 0;
}

/* ---- short connections ---- */

struct conn { int fd, state, got; };

static int rate(const char *host, const char *port, int conc, double secs)
{
    struct sockaddr_in a = addr_of(host, port);
    int ep = epoll_create1(0);
    struct conn *cs = calloc((size_t)conc, sizeof *cs);
    struct epoll_event evs[512];
    char req[100];
    long done = 0, failed = 0;
    memset(req, 'r', sizeof req);
    signal(SIGPIPE, SIG_IGN);
    double t0 = now_s(), end = t0 + secs;
    for (int i = 0; i < conc; i++) cs[i].fd = -1;
    for (;;) {
        int stop = now_s() >= end, active = 0;
        for (int i = 0; i < conc; i++) {
            struct conn *c = &cs[i];
            if (c->fd >= 0) { active++; continue; }
            if (stop) continue;
            c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            int one = 1;
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            c->state = 0;
            c->got = 0;
            if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
                close(c->fd);
                c->fd = -1;
                failed++;
                continue;
            }
            struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)i};
            epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
            active++;
        }
        if (stop && !active) break;
        int n = epoll_wait(ep, evs, 512, 100);
        for (int k = 0; k < n; k++) {
            struct conn *c = &cs[evs[k].data.u32];
            if (c->fd < 0) continue;
            int fail = (evs[k].events & EPOLLERR) != 0;
            if (!fail && c->state == 0) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err || send(c->fd, req, sizeof req, 0) != (ssize_t)sizeof req) fail = 1;
                else {
                    c->state = 1;
                    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[k].data.u32};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                }
            } else if (!fail && c->state == 1) {
                ssize_t r = recv(c->fd, buf, sizeof buf, 0);
                if (r > 0) c->got += (int)r;
                else if (r == 0 || errno != EAGAIN) fail = 1;
                if (!fail && c->got >= 100) {
                    close(c->fd); /* the client closes first: TIME_WAIT stays with Linux */
                    c->fd = -1;
                    done++;
                    continue;
                }
            }
            if (fail) {
                close(c->fd);
                c->fd = -1;
                failed++;
            }
        }
    }
    double t = now_s() - t0;
    printf("%.0f %ld\n", done / t, failed);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "server"))
        return server(argv[2], !strcmp(argv[3], "echo") ? ECHO : !strcmp(argv[3], "chargen") ? CHARGEN : DISCARD);
    if (argc == 5 && !strcmp(argv[1], "send")) return bulk_send(argv[2], argv[3], atoll(argv[4]));
    if (argc == 5 && !strcmp(argv[1], "recv")) return bulk_recv(argv[2], argv[3], atoll(argv[4]));
    if (argc == 6 && !strcmp(argv[1], "rate")) return rate(argv[2], argv[3], atoi(argv[4]), atof(argv[5]));
    fprintf(stderr, "usage: see bench/tun/loadgen.c\n");
    return 2;
}

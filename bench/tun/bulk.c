/* Bulk transfers with their bytes checked, for bench/tun_bench.sh (Linux sockets only; built
 * by the script, not by the Makefile). The data is a file (the script makes 256 MiB of random
 * bytes); the script compares the SHA-256 of what arrived with the file's.
 *
 *   bulk httpd PORT FILE           a Linux HTTP/1.1 server for FILE (the Linux counterpart of
 *                                  synack serve --app http): every GET gets FILE, read() in
 *                                  256 KiB pieces and send(), then the connection is closed
 *   bulk get HOST PORT PATH OUT    GET /PATH (Connection: close): the body is received into
 *                                  memory (timed: from connect() to the last byte), then
 *                                  written to OUT; prints "MiB/s bytes"
 *   bulk give PORT FILE [GO]       listens on PORT (prints "listening"), accepts one connection
 *                                  (prints "accepted"), waits until the file GO exists if given
 *                                  (the script steers the server's new device meanwhile), sends
 *                                  FILE (from memory), then waits until the peer has
 *                                  acknowledged every byte (SIOCOUTQ = 0) and closes; timed
 *                                  from the first send() to that last acknowledgement; prints
 *                                  "MiB/s bytes". Bounded: gives up after 120 s.
 *   bulk take HOST PORT OUT        connects and writes what it receives to OUT until the peer
 *                                  closes (the Linux counterpart of synack connect > OUT)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
    if (host && inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "bulk: bad address %s\n", host);
        exit(2);
    }
    return a;
}

static int listener(const char *port)
{
    struct sockaddr_in a = addr_of(NULL, port);
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (l < 0) die("socket");
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 64) < 0) die("listen");
    return l;
}

static int dial(const char *host, const char *port)
{
    struct sockaddr_in a = addr_of(host, port);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) die("socket");
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    return s;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write");
        }
        p += w;
        n -= (size_t)w;
    }
}

static int send_all(int s, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(s, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static char *load(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) die(path);
    char *b = malloc((size_t)st.st_size + 1);
    if (!b) die("malloc");
    size_t off = 0;
    while (off < (size_t)st.st_size) {
        ssize_t r = read(fd, b + off, (size_t)st.st_size - off);
        if (r <= 0) die("read");
        off += (size_t)r;
    }
    close(fd);
    *len = off;
    return b;
}

/* ---- httpd ---- */

static _Noreturn void httpd(const char *port, const char *path)
{
    static char buf[256 * 1024];
    int l = listener(port);
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int c = accept(l, NULL, NULL);
        if (c < 0) continue;
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        /* the request: up to the blank line */
        size_t got = 0;
        while (got < 8192) {
            ssize_t r = recv(c, buf + got, 8192 - got, 0);
            if (r <= 0) break;
            got += (size_t)r;
            buf[got] = 0;
            if (strstr(buf, "\r\n\r\n")) break;
        }
        int fd = open(path, O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            send_all(c, nf, sizeof nf - 1);
        } else {
            int h = snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\n"
                             "Connection: close\r\n\r\n", (long long)st.st_size);
            if (send_all(c, buf, (size_t)h) == 0) {
                ssize_t r;
                while ((r = read(fd, buf, sizeof buf)) > 0)
                    if (send_all(c, buf, (size_t)r) < 0) break;
            }
        }
        if (fd >= 0) close(fd);
        shutdown(c, SHUT_WR);
        while (recv(c, buf, sizeof buf, 0) > 0) {
        }
        close(c);
    }
}

/* ---- get ---- */

static int get(const char *host, const char *port, const char *path, const char *out)
{
    char req[512];
    int n = snprintf(req, sizeof req, "GET /%s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                     path, host);
    double t0 = now_s();
    int s = dial(host, port);
    if (send_all(s, req, (size_t)n) < 0) die("send");
    /* the header */
    static char hdr[16384];
    size_t hl = 0;
    char *end = NULL;
    while (!end) {
        if (hl >= sizeof hdr - 1) { fprintf(stderr, "bulk: header too long\n"); return 1; }
        ssize_t r = recv(s, hdr + hl, sizeof hdr - 1 - hl, 0);
        if (r <= 0) { fprintf(stderr, "bulk: connection ended in the header\n"); return 1; }
        hl += (size_t)r;
        hdr[hl] = 0;
        end = strstr(hdr, "\r\n\r\n");
    }
    if (strncmp(hdr, "HTTP/1.1 200", 12)) { fprintf(stderr, "bulk: %.40s\n", hdr); return 1; }
    char *cl = strcasestr(hdr, "\r\ncontent-length:");
    if (!cl || cl > end) { fprintf(stderr, "bulk: no Content-Length\n"); return 1; }
    long long len = atoll(cl + 17);
    if (len <= 0 || len > (4ll << 30)) { fprintf(stderr, "bulk: bad length\n"); return 1; }
    char *body = malloc((size_t)len);
    if (!body) die("malloc");
    size_t have = hl - (size_t)(end + 4 - hdr);
    if (have > (size_t)len) have = (size_t)len;
    memcpy(body, end + 4, have);
    while (have < (size_t)len) {
        ssize_t r = recv(s, body + have, (size_t)len - have, 0);
        if (r <= 0) { fprintf(stderr, "bulk: connection ended after %zu of %lld bytes\n", have, len); return 1; }
        have += (size_t)r;
    }
    double t = now_s() - t0;
    close(s);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die(out);
    write_all(fd, body, (size_t)len);
    close(fd);
    printf("%.1f %lld\n", (double)len / t / 1048576, len);
    return 0;
}

/* ---- give ---- */

static int give(const char *port, const char *path, const char *go)
{
    size_t len;
    char *data = load(path, &len);
    int l = listener(port);
    signal(SIGPIPE, SIG_IGN);
    printf("listening\n");
    fflush(stdout);
    int c = accept(l, NULL, NULL);
    if (c < 0) die("accept");
    printf("accepted\n");
    fflush(stdout);
    for (int i = 0; go && access(go, F_OK) != 0; i++) {
        if (i > 20000) { fprintf(stderr, "bulk: %s never came\n", go); return 1; }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    double t0 = now_s();
    if (send_all(c, data, len) < 0) die("send");
    /* every byte acknowledged by the peer: then it has them */
    for (;;) {
        int q = 0;
        if (ioctl(c, SIOCOUTQ, &q) < 0) die("SIOCOUTQ");
        if (q == 0) break;
        if (now_s() - t0 > 120) { fprintf(stderr, "bulk: %d bytes never acknowledged\n", q); return 1; }
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
    double t = now_s() - t0;
    close(c);
    printf("%.1f %zu\n", (double)len / t / 1048576, len);
    return 0;
}

/* ---- take ---- */

static int take(const char *host, const char *port, const char *out)
{
    static char buf[1 << 20];
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die(out);
    int s = dial(host, port);
    shutdown(s, SHUT_WR); /* like synack connect </dev/null */
    for (;;) {
        ssize_t r = recv(s, buf, sizeof buf, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) die("recv");
        if (r == 0) break;
        write_all(fd, buf, (size_t)r);
    }
    close(s);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "httpd")) httpd(argv[2], argv[3]);
    if (argc == 6 && !strcmp(argv[1], "get")) return get(argv[2], argv[3], argv[4], argv[5]);
    if ((argc == 4 || argc == 5) && !strcmp(argv[1], "give")) return give(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
    if (argc == 5 && !strcmp(argv[1], "take")) return take(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: see bench/tun/bulk.c\n");
    return 2;
}

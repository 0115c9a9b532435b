/* The ceiling of the TUN I/O path for bench/flood_bench.sh (issue 9): a minimal program that
 * answers every TCP SYN read from a TUN device with a RST (RST|ACK, ack = ISN + 1, from the
 * SYN's destination to its source), and does nothing else. Built by the script, not by the
 * Makefile; Linux only.
 *
 *   responder DEVICE [SECONDS [poll|block|spin]]
 *
 * Attaches to (or creates) the TUN device DEVICE (IFF_TUN | IFF_NO_PI: bare IPv4; the script
 * configures addresses and the link with `ip`), then answers: one read() per packet and one
 * write() per reply. That is the least a TUN program can do per packet: two system calls,
 * each a crossing of the kernel; the kernel's forwarding into and out of the TUN is the rest
 * of the path. How it waits: poll (the default): one poll() per wakeup, then read() until the
 * device is empty (EAGAIN); block: a blocking read(); spin: non-blocking reads, never sleeps.
 * It stops on SIGTERM/SIGINT or after SECONDS (default 60, at most 3600) and prints
 *   "responder reads R syns S rsts T write_errors W other O".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }

/* The RST for the SYN in pkt (len bytes) into out (40 bytes); 0 if pkt is not a SYN. */
static size_t rst_for(const uint8_t *pkt, size_t len, uint8_t *out)
{
    if (len < 40 || (pkt[0] >> 4) != 4 || pkt[9] != 6 /* TCP */) return 0;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    if (ihl < 20 || len < ihl + 20 || ((pkt[6] & 0x3f) | pkt[7])) return 0;
    const uint8_t *t = pkt + ihl;
    if ((t[13] & 0x17) != 0x02) return 0; /* SYN, no ACK/RST/FIN */
    uint8_t *o = out, *ot = out + 20;
    memset(out, 0, 40);
    o[0] = 0x45;
    wr16(o + 2, 40);
    wr16(o + 6, 0x4000);
    o[8] = 64;
    o[9] = 6;
    memcpy(o + 12, pkt + 16, 4); /* from the SYN's destination */
    memcpy(o + 16, pkt + 12, 4); /* to its source */
    wr16(o + 10, csum_fold(csum_add(0, o, 20)));
    memcpy(ot, t + 2, 2);        /* ports swapped */
    memcpy(ot + 2, t, 2);
    wr32(ot + 8, rd32(t + 4) + 1);
    ot[12] = 5 << 4;
    ot[13] = 0x14;               /* RST | ACK */
    uint32_t sum = csum_add(0, o + 12, 8) + 6 + 20;
    wr16(ot + 16, csum_fold(csum_add(sum, ot, 20)));
    return 40;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4 || strlen(argv[1]) >= IFNAMSIZ) {
        fprintf(stderr, "usage: responder DEVICE [SECONDS [poll|block|spin]]\n");
        return 2;
    }
    double secs = argc >= 3 ? atof(argv[2]) : 60;
    if (!(secs > 0 && secs <= 3600)) { fprintf(stderr, "responder: SECONDS 0..3600\n"); return 2; }
    const char *how = argc == 4 ? argv[3] : "poll";
    int block = !strcmp(how, "block"), spin = !strcmp(how, "spin");
    if (!block && !spin && strcmp(how, "poll")) { fprintf(stderr, "responder: poll|block|spin\n"); return 2; }
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | (block ? 0 : O_NONBLOCK));
    if (fd < 0) { perror("responder: /dev/net/tun"); return 1; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    memcpy(ifr.ifr_name, argv[1], strlen(argv[1]));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("responder: TUNSETIFF"); return 1; }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: a blocking read returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    if (block) alarm((unsigned)secs + 1);
    if (block) sigaction(SIGALRM, &sa, NULL);
    printf("responder on %s (%s)\n", ifr.ifr_name, how);
    fflush(stdout);

    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double end = (double)ts.tv_sec + ts.tv_nsec / 1e9 + secs;
    unsigned long reads = 0, syns = 0, rsts = 0, werr = 0, other = 0;
    static uint8_t in[65536];
    uint8_t out[40];
    while (!stop) {
        if (!block && !spin) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int r = poll(&p, 1, 100);
            if (r <= 0) goto check_time;
        }
        for (unsigned k = 0; k < 4096; k++) {
            ssize_t n = read(fd, in, sizeof in);
            if (n < 0) break; /* EAGAIN: drained (or EINTR, or an error) */
            reads++;
            size_t m = rst_for(in, (size_t)n, out);
            if (!m) { other++; continue; }
            syns++;
            if (write(fd, out, m) == (ssize_t)m) rsts++;
            else werr++;
            if (block) break;
        }
    check_time:
        clock_gettime(CLOCK_MONOTONIC, &ts);
        if ((double)ts.tv_sec + ts.tv_nsec / 1e9 >= end) break;
    }
    printf("responder reads %lu syns %lu rsts %lu write_errors %lu other %lu\n", reads, syns, rsts,
           werr, other);
    close(fd);
    return 0;
}

/*
 * tun_probe: the C half of tests/live/tun_driver.sh, run inside a private network namespace.
 *
 * Usage: tun_probe IFNAME MAX_SECONDS
 * 1. Opens TUN device IFNAME with the driver and configures the kernel's side as 10.77.1.1/24,
 *    MTU 1400, link up (synack_tun_configure, no `ip`).             -> "CONFIGURED name"
 * 2. Checks synack_loop_wait(): a deadline is not left early, a past deadline returns at once,
 *    negative fds are ignored and a readable pipe is reported.      -> "LOOP ok ..."
 * 3. Installs the stop signals and prints "READY"; then answers every ICMP echo request to
 *    10.77.1.2 read from the TUN fd with a hand-made echo reply      -> "REPLY id= seq= len="
 *    until SIGTERM/SIGINT ("STOP ..." exit 0) or MAX_SECONDS ("TIMEOUT ..." exit 3).
 * Links src/link/link_tun.c and src/platform/loop_posix.c only; the clock those need,
 * synack_platform_now_us(), is defined here (the library's own lives in src/platform/).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "synack/loop.h"
#include "synack/platform.h"
#include "synack/tun.h"

#define HOST_ADDR 0x0a4d0101u  /* 10.77.1.1: the kernel's side */
#define STACK_ADDR 0x0a4d0102u /* 10.77.1.2: the address this probe answers for */
#define MTU 1400
#define BATCH 16
#define BUFSZ 2048

synack_time_us synack_platform_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (synack_time_us)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Internet checksum (RFC 1071) over n bytes, already complemented. */
static uint16_t inet_csum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    size_t i;
    for (i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Turns an echo request to STACK_ADDR into its reply, in place. Returns the reply's length,
 * or 0 if pkt is anything else (or malformed, or has a bad checksum). */
static size_t make_echo_reply(uint8_t *pkt, size_t len)
{
    if (len < 20 || (pkt[0] >> 4) != 4)
        return 0;
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    size_t tot = (size_t)pkt[2] << 8 | pkt[3];
    if (ihl < 20 || tot < ihl + 8 || tot > len || pkt[9] != 1 /* ICMP */)
        return 0;
    if ((pkt[6] & 0x3f) || pkt[7]) /* a fragment */
        return 0;
    if (get32(pkt + 16) != STACK_ADDR || inet_csum(pkt, ihl) != 0)
        return 0;
    uint8_t *icmp = pkt + ihl;
    size_t ilen = tot - ihl;
    if (icmp[0] != 8 || icmp[1] != 0 || inet_csum(icmp, ilen) != 0)
        return 0;

    uint8_t tmp[4];
    memcpy(tmp, pkt + 12, 4);
    memcpy(pkt + 12, pkt + 16, 4);
    memcpy(pkt + 16, tmp, 4);
    pkt[8] = 64; /* TTL */
    pkt[10] = pkt[11] = 0;
    uint16_t c = inet_csum(pkt, ihl);
    pkt[10] = (uint8_t)(c >> 8);
    pkt[11] = (uint8_t)c;

    icmp[0] = 0; /* echo reply; id, sequence and data stay */
    icmp[2] = icmp[3] = 0;
    c = inet_csum(icmp, ilen);
    icmp[2] = (uint8_t)(c >> 8);
    icmp[3] = (uint8_t)c;
    return tot;
}

/* Returns 0 if the loop helper behaves; prints what it saw either way. */
static int check_loop(void)
{
    unsigned mask = 99;
    synack_time_us t0 = synack_platform_now_us(), deadline = t0 + 20000;
    int r = synack_loop_wait(NULL, 0, deadline, &mask);
    synack_time_us t1 = synack_platform_now_us();
    if (r != 0 || mask != 0 || t1 < deadline || t1 - deadline > 500000) {
        printf("LOOP fail timer r=%d mask=%u early_or_late_us=%lld\n", r, mask,
               (long long)(t1 - deadline));
        return -1;
    }
    long long late = (long long)(t1 - deadline);

    int p[2];
    if (pipe(p) < 0) {
        printf("LOOP fail pipe: %s\n", strerror(errno));
        return -1;
    }
    int fds[2] = { -1, p[0] };
    t0 = synack_platform_now_us();
    r = synack_loop_wait(fds, 2, t0 - 1000, &mask); /* past deadline, nothing readable */
    synack_time_us t2 = synack_platform_now_us();
    if (r != 0 || mask != 0 || t2 - t0 > 100000) {
        printf("LOOP fail past-deadline r=%d mask=%u took_us=%lld\n", r, mask, (long long)(t2 - t0));
        return -1;
    }
    if (write(p[1], "x", 1) != 1) {
        printf("LOOP fail pipe write\n");
        return -1;
    }
    r = synack_loop_wait(fds, 2, synack_platform_now_us() + 2000000, &mask);
    close(p[0]);
    close(p[1]);
    if (r != 1 || mask != 2u) {
        printf("LOOP fail readable r=%d mask=%u\n", r, mask);
        return -1;
    }
    printf("LOOP ok timer_late_us=%lld past_deadline_ok readable_ok\n", late);
    return 0;
}

int main(int argc, char **argv)
{
    static volatile sig_atomic_t stop;
    if (argc != 3) {
        fprintf(stderr, "usage: %s IFNAME MAX_SECONDS\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    long max_s = strtol(argv[2], NULL, 10);

    char name[SYNACK_TUN_NAMSIZ];
    struct synack_tun *t = synack_tun_open(argv[1], name);
    if (!t) {
        printf("ERROR open %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (synack_tun_configure(name, HOST_ADDR, 24, MTU) < 0) {
        printf("ERROR configure %s: %s\n", name, strerror(errno));
        synack_tun_close(t);
        return 1;
    }
    printf("CONFIGURED %s\n", name);
    if (check_loop() < 0) {
        synack_tun_close(t);
        return 1;
    }
    if (synack_loop_install_stop_signals(&stop) < 0) {
        printf("ERROR signals: %s\n", strerror(errno));
        synack_tun_close(t);
        return 1;
    }
    printf("READY\n");

    static uint8_t store[BATCH][BUFSZ];
    uint8_t *bufs[BATCH];
    size_t lens[BATCH];
    for (int i = 0; i < BATCH; i++)
        bufs[i] = store[i];
    unsigned long replies = 0, other = 0, write_fail = 0;
    int max_batch = 0;
    int fd = synack_tun_fd(t);
    synack_time_us end = synack_platform_now_us() + (synack_time_us)max_s * 1000000;
    int rc = 0;

    while (!stop) {
        unsigned ready;
        int r = synack_loop_wait(&fd, 1, end, &ready);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            printf("ERROR wait: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (r == 0) {
            printf("TIMEOUT after %ld s\n", max_s);
            rc = 3;
            break;
        }
        int n;
        while ((n = synack_tun_read_batch(t, bufs, BUFSZ, lens, BATCH)) > 0) {
            if (n > max_batch)
                max_batch = n;
            for (int i = 0; i < n; i++) {
                size_t rl = make_echo_reply(bufs[i], lens[i]);
                if (!rl) {
                    other++;
                    continue;
                }
                if (synack_tun_write(t, bufs[i], rl) < 0) {
                    write_fail++;
                    printf("ERROR write: %s\n", strerror(errno));
                    continue;
                }
                replies++;
                uint8_t *icmp = bufs[i] + (bufs[i][0] & 0x0f) * 4;
                printf("REPLY id=%u seq=%u len=%zu\n", (unsigned)(icmp[4] << 8 | icmp[5]),
                       (unsigned)(icmp[6] << 8 | icmp[7]), rl);
            }
        }
        if (n < 0) {
            printf("ERROR read: %s\n", strerror(errno));
            rc = 1;
            break;
        }
    }
    struct synack_tun_stats s;
    synack_tun_stats(t, &s);
    printf("%s replies=%lu other=%lu write_fail=%lu max_batch=%d rx=%llu tx=%llu "
           "tx_waits=%llu tx_dropped=%llu rx_truncated=%llu\n",
           stop ? "STOP" : "END", replies, other, write_fail, max_batch,
           (unsigned long long)s.rx_packets, (unsigned long long)s.tx_packets,
           (unsigned long long)s.tx_waits, (unsigned long long)s.tx_dropped,
           (unsigned long long)s.rx_truncated);
    synack_tun_close(t);
    return rc;
}

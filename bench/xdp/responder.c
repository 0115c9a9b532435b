/* The I/O ceiling for the AF_XDP benchmarks: the least a responder can do per packet on the
 * AF_XDP link (src/link/link_xdp.c), with no stack behind it. Every TCP SYN to --addr gets a
 * RST+ACK (MACs, addresses and ports swapped, seq 0, ack = the SYN's seq + 1, both checksums
 * computed), ARP requests for --addr get a reply, everything else is counted and ignored.
 * Built by the bench scripts, not by the Makefile:
 *   cc -O2 -Iinclude -o responder bench/xdp/responder.c build/libsynack.a \
 *      $(pkg-config --libs libxdp libbpf) -lpthread
 * Usage: responder --xdp IF --addr IP --duration S [--generic] [--busy-poll] [--copy]
 * Runs for S seconds (or until SIGINT/SIGTERM) and prints
 *   "replies N in S s = R/s" and a line of the device's counters.
 * Compare bench/tun/ for the TUN equivalent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/loop.h"
#include "synack/netdev.h"
#include "synack/platform.h"

struct resp {
    struct synack_netdev *d;
    uint32_t addr;          /* network order */
    uint64_t replies, arp, other, tx_fail;
};

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    size_t i;
    for (i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }

static void on_frame(void *ctx, const uint8_t *f, size_t len)
{
    struct resp *r = ctx;
    const uint8_t *mac = r->d->mac;
    uint8_t out[64];
    if (len < 14) {
        r->other++;
        return;
    }
    unsigned type = (unsigned)f[12] << 8 | f[13];
    if (type == 0x0806 && len >= 42) {
        const uint8_t *a = f + 14;
        if (!memcmp(a, "\x00\x01\x08\x00\x06\x04\x00\x01", 8) && !memcmp(a + 24, &r->addr, 4)) {
            memcpy(out, f + 6, 6);
            memcpy(out + 6, mac, 6);
            out[12] = 0x08, out[13] = 0x06;
            memcpy(out + 14, a, 6);
            out[20] = 0, out[21] = 2;
            memcpy(out + 22, mac, 6);
            memcpy(out + 28, a + 24, 4);
            memcpy(out + 32, a + 8, 10);    /* the asker's MAC and address */
            memset(out + 42, 0, 18);
            if (r->d->ops->tx(r->d, out, 60) < 0)
                r->tx_fail++;
            r->arp++;
            return;
        }
        r->other++;
        return;
    }
    const uint8_t *ip = f + 14;
    if (type != 0x0800 || memcmp(f, mac, 6) || len < 14 + 40 || (ip[0] >> 4) != 4) {
        r->other++;
        return;
    }
    size_t ihl = (size_t)(ip[0] & 15) * 4, tot = (size_t)ip[2] << 8 | ip[3];
    if (ihl < 20 || tot < ihl + 20 || tot > len - 14 || ip[9] != 6 || (ip[6] & 0x3f) || ip[7] ||
        memcmp(ip + 16, &r->addr, 4) || fold(sum16(ip, ihl, 0)) != 0) {
        r->other++;
        return;
    }
    const uint8_t *tcp = ip + ihl;
    size_t doff = (size_t)(tcp[12] >> 4) * 4;
    if (doff < 20 || ihl + doff > tot || (tcp[13] & 0x16) != 0x02) { /* SYN, no ACK, no RST */
        r->other++;
        return;
    }
    uint32_t seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
    uint32_t ack = seq + 1 + (uint32_t)(tot - ihl - doff); /* the SYN and any data in it */

    memcpy(out, f + 6, 6);
    memcpy(out + 6, mac, 6);
    out[12] = 0x08, out[13] = 0x00;
    uint8_t *o = out + 14;
    o[0] = 0x45, o[1] = 0;
    put16(o + 2, 40);
    put16(o + 4, 0);
    o[6] = 0x40, o[7] = 0;                  /* DF */
    o[8] = 64, o[9] = 6;
    o[10] = o[11] = 0;
    memcpy(o + 12, ip + 16, 4);
    memcpy(o + 16, ip + 12, 4);
    put16(o + 10, fold(sum16(o, 20, 0)));
    uint8_t *t = o + 20;
    memcpy(t, tcp + 2, 2);                  /* ports swapped */
    memcpy(t + 2, tcp, 2);
    memset(t + 4, 0, 4);                    /* seq 0: the SYN carried no ACK (RFC 9293 3.10.7.1) */
    t[8] = (uint8_t)(ack >> 24), t[9] = (uint8_t)(ack >> 16), t[10] = (uint8_t)(ack >> 8),
    t[11] = (uint8_t)ack;
    t[12] = 5 << 4, t[13] = 0x14;           /* RST | ACK */
    put16(t + 14, 0);
    t[16] = t[17] = t[18] = t[19] = 0;
    uint8_t pseudo[12];
    memcpy(pseudo, o + 12, 8);
    pseudo[8] = 0, pseudo[9] = 6;
    put16(pseudo + 10, 20);
    put16(t + 16, fold(sum16(t, 20, sum16(pseudo, 12, 0))));
    memset(out + 54, 0, 6);                 /* pad to the 60-byte minimum */
    if (r->d->ops->tx(r->d, out, 60) < 0)
        r->tx_fail++;
    else
        r->replies++;
}

static void usage(const char *p)
{
    fprintf(stderr, "usage: %s --xdp IF --addr IP --duration S [--generic] [--busy-poll] [--copy]\n", p);
    exit(2);
}

int main(int argc, char **argv)
{
    static volatile sig_atomic_t stop;
    const char *ifname = NULL, *addr = NULL;
    double duration = 10;
    struct synack_xdp_config cfg;
    memset(&cfg, 0, sizeof cfg);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--xdp") && i + 1 < argc) ifname = argv[++i];
        else if (!strcmp(argv[i], "--addr") && i + 1 < argc) addr = argv[++i];
        else if (!strcmp(argv[i], "--duration") && i + 1 < argc) duration = atof(argv[++i]);
        else if (!strcmp(argv[i], "--generic")) cfg.mode = SYNACK_XDP_MODE_GENERIC;
        else if (!strcmp(argv[i], "--busy-poll")) cfg.busy_poll = 1;
        else if (!strcmp(argv[i], "--copy")) cfg.zerocopy = -1;
        else usage(argv[0]);
    }
    if (!ifname || !addr || duration <= 0)
        usage(argv[0]);
    struct resp r;
    memset(&r, 0, sizeof r);
    if (inet_pton(AF_INET, addr, &r.addr) != 1) {
        fprintf(stderr, "bad address %s\n", addr);
        return 2;
    }
    r.d = synack_netdev_open_xdp(ifname, &cfg);
    if (!r.d) {
        fprintf(stderr, "responder: %s: %s (%s)\n", ifname, synack_xdp_last_error(), strerror(errno));
        return 1;
    }
    struct synack_netdev *d = r.d;
    struct synack_xdp_info in;
    memset(&in, 0, sizeof in);
    synack_netdev_xdp_info(d, &in);
    fprintf(stderr, "responder: %s %s XDP, %s, %u queue(s), answering SYNs to %s for %g s\n",
            d->name, in.native ? "native" : "generic", in.zerocopy ? "zero-copy" : "copy",
            in.nqueues, addr, duration);
    if (synack_loop_install_stop_signals(&stop) < 0) {
        perror("signals");
        synack_netdev_close(d);
        return 1;
    }
    synack_time_us t0 = synack_platform_now_us();
    synack_time_us end = t0 + (synack_time_us)(duration * 1e6);
    int rc = 0;
    unsigned idle = 0;
    for (;;) {
        if (stop)
            break;
        synack_time_us now = synack_platform_now_us();
        if (now >= end)
            break;
        if (!cfg.busy_poll || ++idle >= 256) {
            /* Busy polling still passes through here now and then: the stop signals are only
             * let in during synack_loop_wait(). */
            unsigned ready;
            synack_time_us t = cfg.busy_poll ? 0 : now + 100000;
            idle = 0;
            if (synack_loop_wait(&d->fd, 1, t < end ? t : end, &ready) < 0 && errno != EINTR) {
                perror("wait");
                rc = 1;
                break;
            }
        }
        int n = d->ops->rx_burst(d, on_frame, &r, 64);
        if (n < 0 || d->ops->flush(d) < 0) {
            fprintf(stderr, "responder: device error: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (n > 0)
            idle = 0;
    }
    double secs = (double)(synack_platform_now_us() - t0) / 1e6;
    const struct synack_netdev_stats *s = &d->stats;
    synack_netdev_xdp_info(d, &in);
    printf("replies %llu in %.2f s = %.0f/s\n", (unsigned long long)r.replies, secs,
           secs > 0 ? (double)r.replies / secs : 0.0);
    printf("arp %llu other %llu tx_fail %llu rx_packets %llu rx_batches %llu rx_dropped %llu "
           "tx_packets %llu tx_batches %llu tx_dropped %llu tx_waits %llu kernel_rx_dropped %llu "
           "kernel_rx_ring_full %llu kernel_fill_empty %llu\n",
           (unsigned long long)r.arp, (unsigned long long)r.other, (unsigned long long)r.tx_fail,
           (unsigned long long)s->rx_packets, (unsigned long long)s->rx_batches,
           (unsigned long long)s->rx_dropped, (unsigned long long)s->tx_packets,
           (unsigned long long)s->tx_batches, (unsigned long long)s->tx_dropped,
           (unsigned long long)s->tx_waits, (unsigned long long)in.kernel_rx_dropped,
           (unsigned long long)in.kernel_rx_ring_full, (unsigned long long)in.kernel_fill_empty);
    synack_netdev_close(d);
    return rc;
}

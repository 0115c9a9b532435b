/*
 * xdp_probe: the C half of tests/live/xdp_link.sh, run inside a network namespace.
 *
 * Usage: xdp_probe IFNAME ADDR MODE ZEROCOPY MAX_SECONDS [busy]
 *   MODE auto|native|generic, ZEROCOPY auto|on|off; busy: SO_PREFER_BUSY_POLL and a polling
 *   loop instead of waiting on d->fd.
 * Opens IFNAME with synack_netdev_open_xdp() and prints
 *   "OPEN name=... mac=... mtu=... native=0|1 zerocopy=0|1 queues=N prog_id=N", then "READY";
 *   or "ERROR open errno=NAME: message" (exit 1).
 * Then answers, by hand, ARP requests for ADDR (with the interface's MAC) and ICMP echo
 * requests to ADDR, until SIGTERM/SIGINT ("STOP ..." exit 0) or MAX_SECONDS ("TIMEOUT ..."
 * exit 3); a device error ends it with "ERROR ..." (exit 1). The STOP/TIMEOUT line carries the
 * device's counters and the kernel's XDP_STATISTICS.
 * Built by the test against build/libsynack.a:
 *   cc -Iinclude -o xdp_probe tests/live/xdp_probe.c build/libsynack.a \
 *      $(pkg-config --libs libxdp libbpf) -lpthread
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

struct probe {
    struct synack_netdev *d;
    uint32_t addr;          /* host order */
    unsigned long arp, echo, other, tx_fail;
    int max_batch, cur_batch;
};

static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    size_t i;
    for (i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void send_frame(struct probe *pr, const uint8_t *f, size_t len)
{
    if (pr->d->ops->tx(pr->d, f, len) < 0) {
        pr->tx_fail++;
        printf("ERROR tx: %s\n", strerror(errno));
    }
}

static void on_frame(void *ctx, const uint8_t *f, size_t len)
{
    struct probe *pr = ctx;
    uint8_t out[2048];
    pr->cur_batch++;
    if (len < 14 || len > sizeof out) {
        pr->other++;
        return;
    }
    unsigned type = (unsigned)f[12] << 8 | f[13];
    const uint8_t *mac = pr->d->mac;
    if (type == 0x0806 && len >= 42) {
        const uint8_t *a = f + 14;
        /* Ethernet/IPv4 request for our address */
        if (a[0] == 0 && a[1] == 1 && a[2] == 8 && a[3] == 0 && a[4] == 6 && a[5] == 4 &&
            a[6] == 0 && a[7] == 1 && get32(a + 24) == pr->addr) {
            memcpy(out, f + 6, 6);          /* to the asker */
            memcpy(out + 6, mac, 6);
            out[12] = 0x08, out[13] = 0x06;
            uint8_t *r = out + 14;
            memcpy(r, a, 6);
            r[6] = 0, r[7] = 2;             /* reply */
            memcpy(r + 8, mac, 6);          /* sender: us */
            memcpy(r + 14, a + 24, 4);
            memcpy(r + 18, a + 8, 6);       /* target: the asker */
            memcpy(r + 24, a + 14, 4);
            memset(out + 42, 0, 18);        /* pad to the 60-byte minimum */
            send_frame(pr, out, 60);
            pr->arp++;
            return;
        }
        pr->other++;
        return;
    }
    if (type != 0x0800 || memcmp(f, mac, 6) != 0) {
        pr->other++;
        return;
    }
    const uint8_t *ip = f + 14;
    size_t iplen = len - 14;
    if (iplen < 20 || (ip[0] >> 4) != 4) {
        pr->other++;
        return;
    }
    size_t ihl = (size_t)(ip[0] & 15) * 4, tot = (size_t)ip[2] << 8 | ip[3];
    if (ihl < 20 || tot < ihl + 8 || tot > iplen || ip[9] != 1 || (ip[6] & 0x3f) || ip[7] ||
        get32(ip + 16) != pr->addr || csum(ip, ihl) != 0 || ip[ihl] != 8 ||
        csum(ip + ihl, tot - ihl) != 0) {
        pr->other++;
        return;
    }
    memcpy(out, f + 6, 6);
    memcpy(out + 6, mac, 6);
    out[12] = 0x08, out[13] = 0x00;
    uint8_t *o = out + 14;
    memcpy(o, ip, tot);
    memcpy(o + 12, ip + 16, 4);
    memcpy(o + 16, ip + 12, 4);
    o[8] = 64;
    o[10] = o[11] = 0;
    uint16_t c = csum(o, ihl);
    o[10] = (uint8_t)(c >> 8), o[11] = (uint8_t)c;
    uint8_t *icmp = o + ihl;
    icmp[0] = 0;
    icmp[2] = icmp[3] = 0;
    c = csum(icmp, tot - ihl);
    icmp[2] = (uint8_t)(c >> 8), icmp[3] = (uint8_t)c;
    send_frame(pr, out, 14 + tot < 60 ? 60 : 14 + tot);
    pr->echo++;
}

static const char *errname(int e)
{
    switch (e) {
    case ENODEV: return "ENODEV";
    case EPERM: return "EPERM";
    case ENOTSUP: return "ENOTSUP/EOPNOTSUPP";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case ENXIO: return "ENXIO";
    case ENETDOWN: return "ENETDOWN";
    default: return "other";
    }
}

static void report(const char *what, struct probe *pr)
{
    struct synack_netdev *d = pr->d;
    struct synack_xdp_info in;
    memset(&in, 0, sizeof in);
    synack_netdev_xdp_info(d, &in);
    const struct synack_netdev_stats *s = &d->stats;
    printf("%s arp=%lu echo=%lu other=%lu tx_fail=%lu max_batch=%d rx_packets=%llu rx_bytes=%llu "
           "rx_batches=%llu rx_dropped=%llu tx_packets=%llu tx_bytes=%llu tx_batches=%llu "
           "tx_dropped=%llu tx_errors=%llu tx_waits=%llu k_rx_dropped=%llu k_rx_invalid=%llu "
           "k_tx_invalid=%llu k_rx_ring_full=%llu k_fill_empty=%llu\n",
           what, pr->arp, pr->echo, pr->other, pr->tx_fail, pr->max_batch,
           (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
           (unsigned long long)s->rx_batches, (unsigned long long)s->rx_dropped,
           (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
           (unsigned long long)s->tx_batches, (unsigned long long)s->tx_dropped,
           (unsigned long long)s->tx_errors, (unsigned long long)s->tx_waits,
           (unsigned long long)in.kernel_rx_dropped, (unsigned long long)in.kernel_rx_invalid,
           (unsigned long long)in.kernel_tx_invalid, (unsigned long long)in.kernel_rx_ring_full,
           (unsigned long long)in.kernel_fill_empty);
}

int main(int argc, char **argv)
{
    static volatile sig_atomic_t stop;
    if (argc < 6) {
        fprintf(stderr, "usage: %s IFNAME ADDR auto|native|generic auto|on|off MAX_SECONDS [busy]\n",
                argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct in_addr ia;
    if (inet_pton(AF_INET, argv[2], &ia) != 1) {
        fprintf(stderr, "bad address %s\n", argv[2]);
        return 2;
    }
    struct synack_xdp_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mode = !strcmp(argv[3], "native") ? SYNACK_XDP_MODE_NATIVE :
               !strcmp(argv[3], "generic") ? SYNACK_XDP_MODE_GENERIC : SYNACK_XDP_MODE_AUTO;
    cfg.zerocopy = !strcmp(argv[4], "on") ? 1 : !strcmp(argv[4], "off") ? -1 : 0;
    cfg.busy_poll = argc > 6 && !strcmp(argv[6], "busy");
    long max_s = strtol(argv[5], NULL, 10);

    if (!synack_xdp_available()) {
        printf("ERROR open errno=ENOTSUP: %s\n", synack_xdp_last_error());
        return 4;
    }
    struct probe pr;
    memset(&pr, 0, sizeof pr);
    pr.addr = ntohl(ia.s_addr);
    pr.d = synack_netdev_open_xdp(argv[1], &cfg);
    if (!pr.d) {
        int e = errno;
        printf("ERROR open errno=%s: %s\n", errname(e), synack_xdp_last_error());
        return 1;
    }
    struct synack_netdev *d = pr.d;
    struct synack_xdp_info in;
    synack_netdev_xdp_info(d, &in);
    printf("OPEN name=%s mac=%02x:%02x:%02x:%02x:%02x:%02x mtu=%u kind=%s native=%d zerocopy=%d "
           "queues=%u prog_id=%u fd=%d\n",
           d->name, d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4], d->mac[5], d->mtu,
           d->kind == SYNACK_NETDEV_ETH ? "eth" : "ip", in.native, in.zerocopy, in.nqueues,
           in.prog_id, d->fd);
    if (synack_loop_install_stop_signals(&stop) < 0) {
        printf("ERROR signals: %s\n", strerror(errno));
        synack_netdev_close(d);
        return 1;
    }
    printf("READY\n");
    synack_time_us end = synack_platform_now_us() + (synack_time_us)max_s * 1000000;
    int rc = 0;
    while (!stop) {
        if (synack_platform_now_us() >= end) {
            rc = 3;
            break;
        }
        if (!cfg.busy_poll) {
            /* AF_XDP sockets do not wake pollers when their interface goes away, so the loop
             * also calls rx_burst after a short wait without traffic: that is where it shows. */
            unsigned ready;
            synack_time_us t = synack_platform_now_us() + 100000;
            int r = synack_loop_wait(&d->fd, 1, t < end ? t : end, &ready);
            if (r < 0 && errno != EINTR) {
                printf("ERROR wait: %s\n", strerror(errno));
                rc = 1;
                break;
            }
        }
        pr.cur_batch = 0;
        int n = d->ops->rx_burst(d, on_frame, &pr, 64);
        if (n < 0) {
            printf("ERROR rx_burst errno=%s: %s\n", errname(errno), strerror(errno));
            rc = 1;
            break;
        }
        if (n == 0 && cfg.busy_poll) {
            /* The stop signals are only let in during synack_loop_wait(): a past deadline
             * checks the fd without sleeping. */
            unsigned ready;
            (void)synack_loop_wait(&d->fd, 1, 0, &ready);
        }
        if (pr.cur_batch > pr.max_batch)
            pr.max_batch = pr.cur_batch;
        if (d->ops->flush(d) < 0) {
            printf("ERROR flush errno=%s: %s\n", errname(errno), strerror(errno));
            rc = 1;
            break;
        }
    }
    report(stop ? "STOP" : rc == 3 ? "TIMEOUT" : "END", &pr);
    synack_netdev_close(d);
    return rc;
}

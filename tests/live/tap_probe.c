/*
 * tap_probe: the C half of tests/live/tap_link.sh, run inside a private network namespace.
 *
 * Usage: tap_probe IFNAME MAX_SECONDS [MAC]
 * 1. Opens TAP device IFNAME with synack_netdev_open_tap() (MAC given, or NULL: random) and
 *    configures the kernel's side as 10.77.41.1/24, link up (synack_tun_configure).
 *                                            -> "OPEN name mtu=.. mac=.. kernel_mac=.."
 * 2. Prints "READY", then answers, by hand, ARP requests for 10.77.41.2 and ICMP echo
 *    requests to 10.77.41.2 arriving in Ethernet II frames       -> "ARP ..." / "REPLY ..."
 * 3. Ends on SIGTERM/SIGINT ("STOP ...", exit 0), or when rx_burst fails because the device
 *    went away: rx_burst must then keep failing, as must flush  -> "GONE rx=-1 errno=...",
 *    exit 0 if the error is repeated; MAX_SECONDS without either: "TIMEOUT", exit 3.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strerrorname_np */
#endif
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synack/netdev.h"
#include "synack/tun.h"

#define HOST_ADDR 0x0a4d2901u  /* 10.77.41.1: the kernel's side */
#define STACK_ADDR 0x0a4d2902u /* 10.77.41.2: the address this probe answers for */

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void wr16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* RFC 1071, complemented. */
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

struct probe {
    struct synack_netdev *d;
    unsigned long arp, echo, other, tx_fail;
    uint8_t out[2048];
};

static void send_frame(struct probe *p, const uint8_t *f, size_t len)
{
    if (p->d->ops->tx(p->d, f, len) < 0) {
        p->tx_fail++;
        printf("ERROR tx: %s\n", strerror(errno));
    }
}

/* An ARP request (RFC 826, Ethernet/IPv4) for STACK_ADDR: the reply. */
static int arp(struct probe *p, const uint8_t *f, size_t len)
{
    const uint8_t *a = f + 14;
    if (len < 14 + 28 || rd16(a) != 1 || rd16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 ||
        rd16(a + 6) != 1 || rd32(a + 24) != STACK_ADDR)
        return 0;
    uint8_t *o = p->out;
    memcpy(o, a + 8, 6);             /* to the sender's hardware address */
    memcpy(o + 6, p->d->mac, 6);
    wr16(o + 12, 0x0806);
    uint8_t *r = o + 14;
    wr16(r, 1);
    wr16(r + 2, 0x0800);
    r[4] = 6;
    r[5] = 4;
    wr16(r + 6, 2);                  /* reply */
    memcpy(r + 8, p->d->mac, 6);     /* sha: us */
    memcpy(r + 14, a + 24, 4);       /* spa: the address asked for */
    memcpy(r + 18, a + 8, 10);       /* tha, tpa: the asker */
    send_frame(p, o, 14 + 28);
    printf("ARP who-has 10.77.41.2 from %02x:%02x:%02x:%02x:%02x:%02x: answered\n", a[8], a[9],
           a[10], a[11], a[12], a[13]);
    return 1;
}

/* An ICMP echo request to STACK_ADDR: the reply, MACs and addresses swapped. */
static int echo(struct probe *p, const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14;
    size_t l = len - 14;
    if (l < 20 || (ip[0] >> 4) != 4)
        return 0;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4, tot = rd16(ip + 2);
    if (ihl < 20 || tot < ihl + 8 || tot > l || ip[9] != 1 || (rd16(ip + 6) & 0x3fff) ||
        rd32(ip + 16) != STACK_ADDR || inet_csum(ip, ihl) != 0)
        return 0;
    const uint8_t *icmp = ip + ihl;
    size_t ilen = tot - ihl;
    if (icmp[0] != 8 || icmp[1] != 0 || inet_csum(icmp, ilen) != 0)
        return 0;
    if (14 + tot > sizeof p->out)
        return 0;
    uint8_t *o = p->out;
    memcpy(o, f + 6, 6);
    memcpy(o + 6, p->d->mac, 6);
    wr16(o + 12, 0x0800);
    uint8_t *r = o + 14;
    memcpy(r, ip, tot);
    memcpy(r + 12, ip + 16, 4);
    memcpy(r + 16, ip + 12, 4);
    r[8] = 64;
    wr16(r + 10, 0);
    wr16(r + 10, inet_csum(r, ihl));
    uint8_t *ri = r + ihl;
    ri[0] = 0;
    wr16(ri + 2, 0);
    wr16(ri + 2, inet_csum(ri, ilen));
    send_frame(p, o, 14 + tot);
    printf("REPLY id=%u seq=%u len=%zu\n", rd16(icmp + 4), rd16(icmp + 6), tot);
    return 1;
}

static void on_frame(void *ctx, const uint8_t *f, size_t len)
{
    struct probe *p = ctx;
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (len < 14 || (memcmp(f, p->d->mac, 6) && memcmp(f, bcast, 6))) {
        p->other++;
        return;
    }
    uint16_t type = rd16(f + 12);
    int done = 0;
    if (type == 0x0806) {
        done = arp(p, f, len);
        p->arp += (unsigned long)done;
    } else if (type == 0x0800) {
        done = echo(p, f, len);
        p->echo += (unsigned long)done;
    }
    if (!done)
        p->other++;
}

static int parse_mac(const char *s, uint8_t m[6])
{
    unsigned v[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255)
            return -1;
        m[i] = (uint8_t)v[i];
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s IFNAME MAX_SECONDS [MAC]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    long max_s = strtol(argv[2], NULL, 10);
    uint8_t mac[6];
    if (argc == 4 && parse_mac(argv[3], mac) < 0) {
        fprintf(stderr, "bad MAC %s\n", argv[3]);
        return 2;
    }
    struct probe p = { .d = synack_netdev_open_tap(argv[1], argc == 4 ? mac : NULL) };
    if (!p.d) {
        printf("ERROR open %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    struct synack_netdev *d = p.d;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memcpy(ifr.ifr_name, d->name, sizeof ifr.ifr_name);
    if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
        printf("ERROR SIOCGIFHWADDR: %s\n", strerror(errno));
        return 1;
    }
    close(s);
    const uint8_t *k = (const uint8_t *)ifr.ifr_hwaddr.sa_data;
    printf("OPEN %s kind=%s mtu=%u mac=%02x:%02x:%02x:%02x:%02x:%02x "
           "kernel_mac=%02x:%02x:%02x:%02x:%02x:%02x\n",
           d->name, d->kind == SYNACK_NETDEV_ETH ? "eth" : "ip", d->mtu, d->mac[0], d->mac[1],
           d->mac[2], d->mac[3], d->mac[4], d->mac[5], k[0], k[1], k[2], k[3], k[4], k[5]);
    if (synack_tun_configure(d->name, HOST_ADDR, 24, 0) < 0) {
        printf("ERROR configure %s: %s\n", d->name, strerror(errno));
        synack_netdev_close(d);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("READY\n");

    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = 3;
    unsigned long polls = 0, max_burst = 0;
    while (!stop) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec >= max_s) {
            printf("TIMEOUT after %ld s\n", max_s);
            break;
        }
        struct pollfd pfd = { .fd = d->fd, .events = POLLIN, .revents = 0 };
        if (poll(&pfd, 1, 200) < 0 && errno != EINTR) {
            printf("ERROR poll: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        polls++;
        int n = d->ops->rx_burst(d, on_frame, &p, 32);
        if (n < 0) {
            int e = errno;
            int again = d->ops->rx_burst(d, on_frame, &p, 32), e2 = errno;
            int fl = d->ops->flush(d), e3 = errno;
            printf("GONE rx=-1 errno=%s again=%d errno2=%s flush=%d errno3=%s\n",
                   strerrorname_np(e), again, strerrorname_np(e2), fl, strerrorname_np(e3));
            rc = again == -1 && fl == -1 && e2 == e && e3 == e ? 0 : 1;
            break;
        }
        if ((unsigned long)n > max_burst)
            max_burst = (unsigned long)n;
        if (d->ops->flush(d) < 0) {
            printf("ERROR flush: %s\n", strerror(errno));
            rc = 1;
            break;
        }
    }
    if (stop)
        rc = 0;
    printf("%s arp=%lu echo=%lu other=%lu tx_fail=%lu max_burst=%lu rx_packets=%llu "
           "rx_dropped=%llu tx_packets=%llu tx_dropped=%llu tx_errors=%llu\n",
           stop ? "STOP" : "END", p.arp, p.echo, p.other, p.tx_fail, max_burst,
           (unsigned long long)d->stats.rx_packets, (unsigned long long)d->stats.rx_dropped,
           (unsigned long long)d->stats.tx_packets, (unsigned long long)d->stats.tx_dropped,
           (unsigned long long)d->stats.tx_errors);
    synack_netdev_close(d);
    return rc;
}

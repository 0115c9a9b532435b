/*
 * Linux TUN driver (include/synack/tun.h).
 *
 * synack_tun_open() asks /dev/net/tun for an IFF_TUN | IFF_NO_PI device with TUNSETIFF, so each
 * read() returns exactly one bare IPv4 (or IPv6, which callers ignore) packet and each write()
 * injects one. synack_tun_configure() sets the kernel's side of the link with the classic
 * interface ioctls on an AF_INET datagram socket: SIOCSIFMTU, SIOCSIFADDR, SIOCSIFNETMASK, then
 * SIOCGIFFLAGS/SIOCSIFFLAGS to add IFF_UP. Reads and writes are non-blocking; a write that meets
 * a full queue waits briefly for POLLOUT before giving up and counting the drop.
 *
 * The second half of the file is the netdev (include/synack/netdev.h) for TUN, and for TAP
 * (src/link/link_tap.c opens the device with IFF_TAP and reuses everything else here):
 * rx_burst drains up to max packets per call, tx writes each packet (a TUN fd takes one
 * packet per write(); there is no batch write), and a device that went away (read errors
 * EBADFD, ENODEV, ENXIO, EIO, ENETDOWN, or POLLERR/POLLHUP/POLLNVAL on the fd) makes
 * rx_burst/flush/tx return -1 with errno set, on every later call too; tx returns -1 for
 * those write errors too (not sticky: the kernel keeps returning them), except EIO, which a
 * TUN write returns while the link is merely down (counted in tx_errors).
 * References: Documentation/networking/tuntap.rst; include/uapi/linux/if_tun.h;
 * drivers/net/tun.c (tun_chr_read_iter/tun_chr_write_iter return -EBADFD once the device is
 * deleted, tun_chr_poll returns EPOLLERR).
 */
#include "synack/tun.h"
#include "synack/netdev.h"
#include "link/tuntap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

_Static_assert(SYNACK_TUN_NAMSIZ == IFNAMSIZ, "SYNACK_TUN_NAMSIZ must equal IFNAMSIZ");
_Static_assert(SYNACK_TUN_VNET_HLEN == sizeof(struct virtio_net_hdr), "virtio_net_hdr is 10 bytes");

struct synack_tun {
    int fd;
    char name[IFNAMSIZ];
    struct synack_tun_stats stats;
};

static struct synack_tun *tun_open_flags(const char *name, short flags, char *actual_name_out)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (name && name[0]) {
        if (strlen(name) >= IFNAMSIZ) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        memcpy(ifr.ifr_name, name, strlen(name));
    }
    ifr.ifr_flags = flags;

    struct synack_tun *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0)
        goto fail;
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0)
        goto fail;
    memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
    t->name[IFNAMSIZ - 1] = '\0';
    if (actual_name_out)
        memcpy(actual_name_out, t->name, IFNAMSIZ);
    return t;

fail:;
    int saved = errno;
    if (t->fd >= 0)
        close(t->fd);
    free(t);
    errno = saved;
    return NULL;
}

struct synack_tun *synack_tun_open(const char *name, char *actual_name_out)
{
    return tun_open_flags(name, IFF_TUN | IFF_NO_PI, actual_name_out);
}

/* Fills ifr with ifname and an AF_INET sockaddr holding addr (host order). */
static void ifreq_addr(struct ifreq *ifr, const char *ifname, uint32_t addr)
{
    struct sockaddr_in sin;
    memset(ifr, 0, sizeof *ifr);
    memcpy(ifr->ifr_name, ifname, strlen(ifname));
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(addr);
    memcpy(&ifr->ifr_addr, &sin, sizeof sin);
}

int synack_tun_configure(const char *ifname, uint32_t host_addr, int prefix_len, unsigned mtu)
{
    if (!ifname || !ifname[0] || prefix_len < 1 || prefix_len > 32 || host_addr == 0 ||
        (mtu != 0 && (mtu < 68 || mtu > 65535))) {
        errno = EINVAL;
        return -1;
    }
    if (strlen(ifname) >= IFNAMSIZ) {
        errno = ENAMETOOLONG;
        return -1;
    }
    uint32_t mask = prefix_len == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix_len);

    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    if (mtu) {
        ifreq_addr(&ifr, ifname, 0);
        ifr.ifr_mtu = (int)mtu;
        if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
            goto fail;
    }
    /* SIOCSIFADDR gives the address a classful mask; SIOCSIFNETMASK then replaces it (and the
     * prefix route). Setting an address the device already has is a no-op for the kernel. */
    ifreq_addr(&ifr, ifname, host_addr);
    if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
        goto fail;
    ifreq_addr(&ifr, ifname, mask);
    if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
        goto fail;
    ifreq_addr(&ifr, ifname, 0);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        goto fail;
    if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
            goto fail;
    }
    close(s);
    return 0;

fail:;
    int saved = errno;
    close(s);
    errno = saved;
    return -1;
}

int synack_tun_fd(const struct synack_tun *t) { return t->fd; }

const char *synack_tun_name(const struct synack_tun *t) { return t->name; }

ssize_t synack_tun_read(struct synack_tun *t, void *buf, size_t len)
{
    /* The kernel truncates a packet that does not fit to the buffers it is given, silently; one
     * spare byte after buf tells a packet of exactly len bytes from a longer one. */
    uint8_t spare;
    struct iovec iov[2] = { { .iov_base = buf, .iov_len = len },
                            { .iov_base = &spare, .iov_len = 1 } };
    for (;;) {
        ssize_t n = readv(t->fd, iov, 2);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if ((size_t)n > len) {
            t->stats.rx_truncated++;
            errno = EMSGSIZE;
            return -1;
        }
        t->stats.rx_packets++;
        t->stats.rx_bytes += (uint64_t)n;
        return n;
    }
}

int synack_tun_read_batch(struct synack_tun *t, uint8_t *const bufs[], size_t bufsize,
                          size_t lens[], int n)
{
    int got = 0;
    while (got < n) {
        ssize_t r = synack_tun_read(t, bufs[got], bufsize);
        if (r < 0) {
            if (errno == EMSGSIZE)
                continue; /* discarded and counted: try the next packet */
            if (errno == EAGAIN || errno == EWOULDBLOCK || got > 0)
                break; /* a later call sees a persistent error again */
            return -1;
        }
        lens[got++] = (size_t)r;
    }
    return got;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes one packet (iov, total bytes in all) to fd. If the kernel's queue is full, waits for
 * POLLOUT up to SYNACK_TUN_WRITE_WAIT_MS in all (*waited = 1). Returns 0, or -1 with errno:
 * EAGAIN when the queue stayed full, EBADFD/ENXIO when poll reported POLLNVAL/POLLERR/POLLHUP
 * and the write that followed did not say better, else the write's or poll's error. */
static int write_wait(int fd, const struct iovec *iov, int iovcnt, size_t total, int *waited)
{
    int64_t give_up = -1;
    int hup = 0;
    for (;;) {
        ssize_t n = writev(fd, iov, iovcnt);
        if (n >= 0) {
            if ((size_t)n != total) { /* TUN writes are all or nothing; be safe anyway */
                errno = EIO;
                return -1;
            }
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (hup) { /* POLLERR/POLLHUP, and the write still does not go through */
            errno = ENXIO;
            return -1;
        }
        /* Queue full: wait for room, for SYNACK_TUN_WRITE_WAIT_MS in all. */
        int64_t now = mono_ms();
        if (give_up < 0) {
            give_up = now + SYNACK_TUN_WRITE_WAIT_MS;
            *waited = 1;
        }
        if (now >= give_up) {
            errno = EAGAIN;
            return -1;
        }
        struct pollfd p = { .fd = fd, .events = POLLOUT, .revents = 0 };
        int r = poll(&p, 1, (int)(give_up - now));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r > 0 && (p.revents & POLLNVAL)) {
            errno = EBADFD;
            return -1;
        }
        if (r > 0 && (p.revents & (POLLERR | POLLHUP)))
            hup = 1; /* one more write reports the kernel's own errno */
    }
}

int synack_tun_write(struct synack_tun *t, const void *pkt, size_t len)
{
    struct iovec iov = { .iov_base = (void *)pkt, .iov_len = len };
    int waited = 0;
    int r = write_wait(t->fd, &iov, 1, len, &waited);
    if (waited)
        t->stats.tx_waits++;
    if (r == 0) {
        t->stats.tx_packets++;
        t->stats.tx_bytes += len;
        return 0;
    }
    if (errno == EAGAIN)
        t->stats.tx_dropped++;
    else
        t->stats.tx_errors++;
    return -1;
}

void synack_tun_stats(const struct synack_tun *t, struct synack_tun_stats *out) { *out = t->stats; }

void synack_tun_close(struct synack_tun *t)
{
    if (!t)
        return;
    close(t->fd);
    free(t);
}

/* ---- Offload helpers (tun.h): pure functions ---- */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put_be16(uint8_t *p, unsigned v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void put_le16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

/* RFC 1071 sum of len bytes from p, as 16-bit words in host order (the one's-complement sum
 * commutes with byte swapping, RFC 1071 §2(B)), so a folded result stored with memcpy is in
 * network order. 32-bit loads; an odd last byte is the high-order byte of its word in network
 * order. Not folded: callers fold. */
static uint64_t sum_native(const uint8_t *p, size_t len, uint64_t sum)
{
    while (len >= 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        sum += w;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t h;
        memcpy(&h, p, 2);
        sum += h;
        p += 2;
        len -= 2;
    }
    if (len) {
        uint8_t b[2] = { p[0], 0 };
        uint16_t h;
        memcpy(&h, b, 2);
        sum += h;
    }
    return sum;
}

static uint16_t fold_native(uint64_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* The IPv4 header checksum of hdr (ihl bytes), computed with its checksum field as zero,
 * returned in network byte order as two bytes in out. */
static void ip_csum(const uint8_t *hdr, size_t ihl, uint8_t out[2])
{
    uint64_t s = sum_native(hdr, 10, 0);
    s = sum_native(hdr + 12, ihl - 12, s);
    uint16_t c = (uint16_t)~fold_native(s);
    memcpy(out, &c, 2);
}

int synack_tun_vnet_rx(uint8_t *buf, size_t n, size_t *len_out)
{
    if (n <= SYNACK_TUN_VNET_HLEN)
        return -1;
    uint8_t *pkt = buf + SYNACK_TUN_VNET_HLEN;
    size_t len = n - SYNACK_TUN_VNET_HLEN;
    unsigned flags = buf[0], gso = buf[1] & ~VIRTIO_NET_HDR_GSO_ECN;
    size_t gso_size = le16(buf + 4), cstart = le16(buf + 6), coff = le16(buf + 8);

    if (flags & ~(unsigned)(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
        return -1; /* RSC_INFO or unknown bits: not something TUN sends */
    if (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4)
        return -1; /* only TUN_F_TSO4 was offered */
    if (gso == VIRTIO_NET_HDR_GSO_NONE && (buf[1] & VIRTIO_NET_HDR_GSO_ECN))
        return -1;
    size_t ihl = 0;
    if (gso == VIRTIO_NET_HDR_GSO_TCPV4) {
        if (!(flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || gso_size == 0 || len < 40)
            return -1;
        if ((pkt[0] >> 4) != 4 || pkt[9] != 6 /* TCP */)
            return -1;
        ihl = (size_t)(pkt[0] & 0x0f) * 4;
        if (ihl < 20 || ihl + 20 > len || be16(pkt + 2) != len || (be16(pkt + 6) & 0x3fff))
            return -1; /* lengths that lie, or a fragment */
        size_t thl = (size_t)(pkt[ihl + 12] >> 4) * 4;
        if (thl < 20 || ihl + thl > len || cstart != ihl || coff != 16)
            return -1;
        uint8_t c[2];
        ip_csum(pkt, ihl, c); /* the IP total length covers the super-packet */
        memcpy(pkt + 10, c, 2);
    }
    if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        if (cstart >= len || coff > len - cstart || len - cstart - coff < 2)
            return -1; /* the checksum field would be outside the packet */
        /* The field holds the pseudo-header sum (skb CHECKSUM_PARTIAL): sum from csum_start
         * to the end of the packet, field included, and store the complement. */
        uint16_t c = (uint16_t)~fold_native(sum_native(pkt + cstart, len - cstart, 0));
        /* UDP: a computed 0 is sent as 0xffff (RFC 768); 0 would mean "no checksum". */
        if (c == 0 && len >= 20 && (pkt[0] >> 4) == 4 && pkt[9] == 17 &&
            cstart == (size_t)(pkt[0] & 0x0f) * 4 && coff == 6)
            c = 0xffff;
        memcpy(pkt + cstart + coff, &c, 2);
    }
    *len_out = len;
    return gso == VIRTIO_NET_HDR_GSO_TCPV4 ? 1 : 0;
}

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_URG = 0x20,
       TH_CWR = 0x80 };

/* A TCP/IPv4 segment's geometry, or why it cannot be coalesced at all. */
struct seg {
    size_t ihl, hlen, payload;
    uint32_t seq;
    uint8_t flags;
};

static int seg_parse(const uint8_t *pkt, size_t len, struct seg *s)
{
    if (len < 40 || (pkt[0] >> 4) != 4 || pkt[9] != 6 || be16(pkt + 2) != len)
        return SYNACK_TUN_GSO_NOT_TCP4;
    s->ihl = (size_t)(pkt[0] & 0x0f) * 4;
    if (s->ihl < 20 || s->ihl + 20 > len || (be16(pkt + 6) & 0x3fff))
        return SYNACK_TUN_GSO_NOT_TCP4;
    const uint8_t *th = pkt + s->ihl;
    size_t thl = (size_t)(th[12] >> 4) * 4;
    if (thl < 20 || s->ihl + thl > len)
        return SYNACK_TUN_GSO_NOT_TCP4;
    s->hlen = s->ihl + thl;
    s->payload = len - s->hlen;
    s->seq = be32(th + 4);
    s->flags = th[13];
    if (s->flags & (TH_SYN | TH_RST | TH_URG | TH_CWR))
        return SYNACK_TUN_GSO_CTL; /* GSO clears CWR after the first segment: keep it alone */
    if (s->payload == 0)
        return SYNACK_TUN_GSO_NO_DATA;
    return SYNACK_TUN_GSO_ADDED;
}

int synack_tun_gso_add(struct synack_tun_gso *g, const uint8_t *pkt, size_t len)
{
    struct seg s;
    int r = seg_parse(pkt, len, &s);
    if (r != SYNACK_TUN_GSO_ADDED)
        return r;
    uint8_t *sp = g->buf + SYNACK_TUN_VNET_HLEN;
    if (g->nseg == 0) {
        memcpy(sp, pkt, len);
        g->len = len;
        g->in_bytes = len;
        g->nseg = 1;
        g->ihl = (unsigned)s.ihl;
        g->hlen = (unsigned)s.hlen;
        g->gso_size = (unsigned)s.payload;
        g->next_seq = s.seq + (uint32_t)s.payload;
        g->closed = (s.flags & (TH_PSH | TH_FIN)) != 0;
        return SYNACK_TUN_GSO_ADDED;
    }
    const uint8_t *th = pkt + s.ihl, *gth = sp + g->ihl;
    if (memcmp(pkt + 12, sp + 12, 8) != 0 || memcmp(th, gth, 4) != 0)
        return SYNACK_TUN_GSO_FLOW;
    if (g->closed)
        return SYNACK_TUN_GSO_CLOSED;
    if (s.seq != g->next_seq)
        return SYNACK_TUN_GSO_SEQ;
    /* IP: bytes 0-1 (version, IHL, TOS), 6-9 (flags, TTL, protocol), options; not id (4-5),
     * total length (2-3), checksum (10-11); addresses compared above. */
    if (s.ihl != g->ihl || memcmp(pkt, sp, 2) != 0 || memcmp(pkt + 6, sp + 6, 4) != 0 ||
        memcmp(pkt + 20, sp + 20, s.ihl - 20) != 0)
        return SYNACK_TUN_GSO_IP_HDR;
    /* TCP: ack (8-11), data offset (12), window (14-15), urgent pointer (18-19), and the flags
     * but PSH/FIN (13); not seq (4-7) or checksum (16-17). */
    if (s.hlen != g->hlen || memcmp(th + 8, gth + 8, 5) != 0 ||
        memcmp(th + 14, gth + 14, 2) != 0 || memcmp(th + 18, gth + 18, 2) != 0 ||
        ((th[13] ^ gth[13]) & ~(TH_PSH | TH_FIN)))
        return SYNACK_TUN_GSO_TCP_HDR;
    if (memcmp(th + 20, gth + 20, s.hlen - s.ihl - 20) != 0)
        return SYNACK_TUN_GSO_OPTIONS;
    if (s.payload > g->gso_size || g->len + s.payload > SYNACK_TUN_GSO_MAX)
        return SYNACK_TUN_GSO_SIZE;

    memcpy(sp + g->len, pkt + s.hlen, s.payload);
    g->len += s.payload;
    g->in_bytes += len;
    g->nseg++;
    g->next_seq += (uint32_t)s.payload;
    sp[g->ihl + 13] = s.flags; /* the last segment's flags: PSH/FIN end up on the last */
    g->closed = s.payload < g->gso_size || (s.flags & (TH_PSH | TH_FIN)) != 0;
    return SYNACK_TUN_GSO_ADDED;
}

size_t synack_tun_gso_finish(struct synack_tun_gso *g, const uint8_t **out, unsigned *nseg_out)
{
    unsigned nseg = g->nseg;
    if (nseg_out)
        *nseg_out = nseg;
    if (nseg == 0)
        return 0;
    uint8_t *h = g->buf, *sp = g->buf + SYNACK_TUN_VNET_HLEN;
    memset(h, 0, SYNACK_TUN_VNET_HLEN);
    if (nseg > 1) {
        put_be16(sp + 2, (unsigned)g->len);
        uint8_t c[2];
        ip_csum(sp, g->ihl, c);
        memcpy(sp + 10, c, 2);
        /* Pseudo-header sum (RFC 9293 §3.1), not inverted: the kernel completes it. */
        uint8_t ph[12];
        memcpy(ph, sp + 12, 8);
        ph[8] = 0;
        ph[9] = 6;
        put_be16(ph + 10, (unsigned)(g->len - g->ihl));
        uint16_t p = fold_native(sum_native(ph, sizeof ph, 0));
        memcpy(sp + g->ihl + 16, &p, 2);
        h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h[1] = VIRTIO_NET_HDR_GSO_TCPV4;
        put_le16(h + 2, g->hlen);
        put_le16(h + 4, g->gso_size);
        put_le16(h + 6, g->ihl);
        put_le16(h + 8, 16);
    }
    *out = g->buf;
    size_t n = SYNACK_TUN_VNET_HLEN + g->len;
    g->len = g->in_bytes = 0;
    g->nseg = 0;
    g->closed = 0;
    return n;
}

/* ---- netdev (include/synack/netdev.h): TUN, and TAP through link_tap.c ---- */

/* Largest IPv4 packet, and the read buffer: room for an Ethernet header (TAP) or a virtio
 * header (TUN with offload) in front of it. A packet that does not fit is detected with one
 * spare byte, as in synack_tun_read(), and dropped. */
#define ND_IP_MAX 65535u
#define ND_RXBUF (ND_IP_MAX + 14u)
_Static_assert(ND_RXBUF >= SYNACK_TUN_VNET_HLEN + SYNACK_TUN_GSO_MAX, "rx buffer");

struct tun_nd {
    struct synack_netdev dev;   /* first: d == &p->dev */
    struct synack_tun *t;
    int dead;                   /* errno of a device that went away (sticky), 0 while it works */
    size_t tx_max;              /* largest frame tx takes */
    uint8_t *rxbuf;             /* ND_RXBUF bytes */
    struct synack_tun_gso *gso; /* offload (IFF_VNET_HDR) only: the pending super-packet */
};

/* errno values that mean the device is gone (netdev.h). */
static int is_gone(int e)
{
    return e == EBADFD || e == ENODEV || e == ENXIO || e == EIO || e == ENETDOWN;
}

int synack__ifreq(const char *ifname, unsigned long req, struct ifreq *ifr)
{
    if (!ifname || strlen(ifname) >= IFNAMSIZ) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    memcpy(ifr->ifr_name, ifname, strlen(ifname) + 1);
    int r = ioctl(s, req, ifr);
    int saved = errno;
    close(s);
    errno = saved;
    return r;
}

/* After an empty read: POLLERR/POLLHUP/POLLNVAL on the fd mean the device is gone even if
 * read() said EAGAIN. Returns -1 (errno set, sticky) in that case, else 0. */
static int rx_check_dead(struct tun_nd *p)
{
    struct pollfd pfd = { .fd = p->t->fd, .events = POLLIN, .revents = 0 };
    if (poll(&pfd, 1, 0) <= 0)
        return 0; /* nothing to report (or EINTR: the next call looks again) */
    if (pfd.revents & POLLNVAL)
        p->dead = EBADFD;
    else if (pfd.revents & (POLLERR | POLLHUP))
        p->dead = ENXIO;
    else
        return 0;
    errno = p->dead;
    return -1;
}

static int nd_rx_burst(struct synack_netdev *d, synack_netdev_rx_fn fn, void *ctx, unsigned max)
{
    struct tun_nd *p = d->priv;
    if (max > INT_MAX)
        max = INT_MAX;
    if (p->dead) {
        errno = p->dead;
        return -1;
    }
    int got = 0;
    unsigned reads = 0; /* delivered or dropped: a flood of bad packets cannot pin us here */
    while (reads < max) {
        uint8_t spare;
        struct iovec iov[2] = { { .iov_base = p->rxbuf, .iov_len = ND_RXBUF },
                                { .iov_base = &spare, .iov_len = 1 } };
        ssize_t n = readv(p->t->fd, iov, 2);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (is_gone(errno))
                p->dead = errno;
            if (got > 0)
                break; /* deliver these; the next call reports the error */
            return -1;
        }
        reads++;
        if (n == 0 || (size_t)n > ND_RXBUF) {
            d->stats.rx_dropped++;
            continue;
        }
        const uint8_t *pkt = p->rxbuf;
        size_t len = (size_t)n;
        if (p->gso) {
            if (synack_tun_vnet_rx(p->rxbuf, len, &len) < 0) {
                d->stats.rx_dropped++;
                continue;
            }
            pkt += SYNACK_TUN_VNET_HLEN;
        }
        d->stats.rx_packets++;
        d->stats.rx_bytes += (uint64_t)len;
        got++;
        fn(ctx, pkt, len);
    }
    if (got > 0) {
        d->stats.rx_batches++;
        return got;
    }
    return reads < max ? rx_check_dead(p) : 0;
}

/* Writes one frame (iov; len frame bytes, total bytes in all) standing for nseg frames of the
 * caller. Returns 0 (sent, or dropped/refused and counted) or -1 for a device failure. */
static int nd_write(struct tun_nd *p, const struct iovec *iov, int iovcnt, size_t total,
                    size_t len, unsigned nseg)
{
    struct synack_netdev *d = &p->dev;
    int waited = 0;
    int r = write_wait(p->t->fd, iov, iovcnt, total, &waited);
    if (waited)
        d->stats.tx_waits++;
    if (r == 0) {
        d->stats.tx_packets += nseg;
        d->stats.tx_bytes += len;
        d->stats.tx_batches++;
        return 0;
    }
    if (errno == EAGAIN) {
        d->stats.tx_dropped += nseg;
        return 0;
    }
    d->stats.tx_errors += nseg;
    /* EINVAL etc.: this frame only. EIO from a write is the kernel refusing a packet while
     * the link is administratively down (tun_get_user(), measured on 6.18): the device is
     * still there and may come up again, so it is a refused frame, not a failure. A deleted
     * device gives EBADFD. */
    if (errno == EIO)
        return 0;
    return is_gone(errno) || errno == EBADF ? -1 : 0;
}

/* Writes the pending super-packet (offload). 0, or -1 for a device failure. */
static int gso_write(struct tun_nd *p)
{
    size_t in_bytes = p->gso->in_bytes;
    const uint8_t *out;
    unsigned nseg;
    size_t n = synack_tun_gso_finish(p->gso, &out, &nseg);
    struct iovec iov = { .iov_base = (void *)out, .iov_len = n };
    return nd_write(p, &iov, 1, n, in_bytes, nseg);
}

static int nd_tx(struct synack_netdev *d, const uint8_t *frame, size_t len)
{
    struct tun_nd *p = d->priv;
    if (p->dead) {
        errno = p->dead;
        return -1;
    }
    if (len == 0 || len > p->tx_max) {
        d->stats.tx_errors++;
        errno = len ? EMSGSIZE : EINVAL;
        return -1;
    }
    if (!p->gso) {
        struct iovec iov = { .iov_base = (void *)frame, .iov_len = len };
        return nd_write(p, &iov, 1, len, len, 1);
    }
    /* Offload: coalesce into the pending super-packet; what does not fit ends it. */
    int r = synack_tun_gso_add(p->gso, frame, len);
    if (r == SYNACK_TUN_GSO_ADDED)
        return 0;
    if (p->gso->nseg) {
        if (gso_write(p) < 0)
            return -1;
        if (synack_tun_gso_add(p->gso, frame, len) == SYNACK_TUN_GSO_ADDED)
            return 0;
    }
    static const uint8_t zero_hdr[SYNACK_TUN_VNET_HLEN];
    struct iovec iov[2] = { { .iov_base = (void *)zero_hdr, .iov_len = sizeof zero_hdr },
                            { .iov_base = (void *)frame, .iov_len = len } };
    return nd_write(p, iov, 2, sizeof zero_hdr + len, len, 1);
}

static int nd_flush(struct synack_netdev *d)
{
    struct tun_nd *p = d->priv;
    if (p->dead) {
        errno = p->dead;
        return -1;
    }
    return p->gso && p->gso->nseg ? gso_write(p) : 0;
}

static void nd_close(struct synack_netdev *d)
{
    struct tun_nd *p = d->priv;
    if (p->gso && p->gso->nseg && !p->dead)
        (void)gso_write(p); /* best effort: what tx accepted goes out */
    synack_tun_close(p->t);
    free(p->gso);
    free(p->rxbuf);
    free(p);
}

static const struct synack_netdev_ops tun_ops = {
    .name = "tun", .rx_burst = nd_rx_burst, .tx = nd_tx, .flush = nd_flush, .close = nd_close,
};
const struct synack_netdev_ops synack__tap_ops = {
    .name = "tap", .rx_burst = nd_rx_burst, .tx = nd_tx, .flush = nd_flush, .close = nd_close,
};

struct synack_netdev *synack__tuntap_open(const char *name, int tap,
                                          const struct synack_tun_config *cfg)
{
    struct synack_tun_config none = { 0 };
    if (!cfg)
        cfg = &none;
    if (cfg->offload && tap) {
        errno = EINVAL;
        return NULL;
    }
    if (cfg->mtu && (cfg->mtu < 68 || cfg->mtu > ND_IP_MAX)) {
        errno = EINVAL;
        return NULL;
    }
    struct tun_nd *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    struct synack_netdev *d = &p->dev;
    p->rxbuf = malloc(ND_RXBUF);
    if (!p->rxbuf)
        goto fail;
    p->t = tun_open_flags(name, (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI |
                                        (cfg->offload ? IFF_VNET_HDR : 0)), NULL);
    if (!p->t)
        goto fail;
    if (cfg->offload) {
        /* tuntap.rst / if_tun.h: with IFF_VNET_HDR each packet starts with a virtio_net_hdr
         * of TUNSETVNETHDRSZ bytes; TUNSETOFFLOAD says which offloads we take (the kernel
         * then sends partial checksums and TSO4 super-packets, and accepts them from us). */
        int hsz = SYNACK_TUN_VNET_HLEN, le = 1;
        const uint16_t one = 1;
        uint8_t host_le;
        memcpy(&host_le, &one, 1);
        if (ioctl(p->t->fd, TUNSETVNETHDRSZ, &hsz) < 0)
            goto fail;
        /* Little-endian header fields on any host; an older kernel without TUNSETVNETLE uses
         * the host's order ("legacy" virtio), which is the same on a little-endian host. */
        if (ioctl(p->t->fd, TUNSETVNETLE, &le) < 0 && !host_le)
            goto fail;
        if (ioctl(p->t->fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) < 0)
            goto fail;
        p->gso = calloc(1, sizeof *p->gso);
        if (!p->gso)
            goto fail;
    }
    struct ifreq ifr;
    if (cfg->mtu) {
        memset(&ifr, 0, sizeof ifr);
        ifr.ifr_mtu = (int)cfg->mtu;
        if (synack__ifreq(p->t->name, SIOCSIFMTU, &ifr) < 0)
            goto fail;
    }
    memset(&ifr, 0, sizeof ifr);
    if (synack__ifreq(p->t->name, SIOCGIFMTU, &ifr) < 0)
        goto fail;
    d->ops = tap ? &synack__tap_ops : &tun_ops;
    d->kind = tap ? SYNACK_NETDEV_ETH : SYNACK_NETDEV_IP;
    memcpy(d->name, p->t->name, sizeof d->name);
    d->fd = p->t->fd;
    d->mtu = (unsigned)ifr.ifr_mtu;
    d->priv = p;
    p->tx_max = ND_IP_MAX + (tap ? 14u : 0u);
    return d;

fail:;
    int saved = errno;
    synack_tun_close(p->t);
    free(p->gso);
    free(p->rxbuf);
    free(p);
    errno = saved;
    return NULL;
}

struct synack_netdev *synack_netdev_open_tun(const char *name, const struct synack_tun_config *cfg)
{
    return synack__tuntap_open(name, 0, cfg);
}

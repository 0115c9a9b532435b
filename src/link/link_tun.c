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
 * packet per write(); there is no batch write), and a device that went away (read/write
 * EBADFD, ENODEV, ENXIO, EIO, ENETDOWN, or POLLERR/POLLHUP/POLLNVAL on the fd) makes
 * rx_burst/flush return -1 with errno set, on every later call too.
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
#include <linux/if_tun.h>
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

/* ---- netdev (include/synack/netdev.h): TUN, and TAP through link_tap.c ---- */

/* Largest IPv4 packet, and the read buffer: room for an Ethernet header (TAP). A packet that
 * does not fit is detected with one spare byte, as in synack_tun_read(), and dropped. */
#define ND_IP_MAX 65535u
#define ND_RXBUF (ND_IP_MAX + 14u)

struct tun_nd {
    struct synack_netdev dev;   /* first: d == &p->dev */
    struct synack_tun *t;
    int dead;                   /* errno of a device that went away (sticky), 0 while it works */
    size_t tx_max;              /* largest frame tx takes */
    uint8_t *rxbuf;             /* ND_RXBUF bytes */
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
        d->stats.rx_packets++;
        d->stats.rx_bytes += (uint64_t)n;
        got++;
        fn(ctx, p->rxbuf, (size_t)n);
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
    return is_gone(errno) || errno == EBADF ? -1 : 0; /* EINVAL etc.: this frame only */
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
    struct iovec iov = { .iov_base = (void *)frame, .iov_len = len };
    return nd_write(p, &iov, 1, len, len, 1);
}

static int nd_flush(struct synack_netdev *d)
{
    struct tun_nd *p = d->priv;
    if (p->dead) {
        errno = p->dead;
        return -1;
    }
    return 0;
}

static void nd_close(struct synack_netdev *d)
{
    struct tun_nd *p = d->priv;
    synack_tun_close(p->t);
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
    if (cfg->offload) {
        errno = tap ? EINVAL : ENOTSUP;
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
    p->t = tun_open_flags(name, (short)((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI), NULL);
    if (!p->t)
        goto fail;
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
    free(p->rxbuf);
    free(p);
    errno = saved;
    return NULL;
}

struct synack_netdev *synack_netdev_open_tun(const char *name, const struct synack_tun_config *cfg)
{
    return synack__tuntap_open(name, 0, cfg);
}

/*
 * Linux TUN driver (include/synack/tun.h).
 *
 * synack_tun_open() asks /dev/net/tun for an IFF_TUN | IFF_NO_PI device with TUNSETIFF, so each
 * read() returns exactly one bare IPv4 (or IPv6, which callers ignore) packet and each write()
 * injects one. synack_tun_configure() sets the kernel's side of the link with the classic
 * interface ioctls on an AF_INET datagram socket: SIOCSIFMTU, SIOCSIFADDR, SIOCSIFNETMASK, then
 * SIOCGIFFLAGS/SIOCSIFFLAGS to add IFF_UP. Reads and writes are non-blocking; a write that meets
 * a full queue waits briefly for POLLOUT before giving up and counting the drop.
 */
#include "synack/tun.h"

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

struct synack_tun *synack_tun_open(const char *name, char *actual_name_out)
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
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;

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

int synack_tun_write(struct synack_tun *t, const void *pkt, size_t len)
{
    int64_t give_up = -1;
    for (;;) {
        ssize_t n = write(t->fd, pkt, len);
        if (n >= 0) {
            if ((size_t)n != len) { /* TUN writes are all or nothing; be safe anyway */
                t->stats.tx_errors++;
                errno = EIO;
                return -1;
            }
            t->stats.tx_packets++;
            t->stats.tx_bytes += len;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            t->stats.tx_errors++;
            return -1;
        }
        /* Queue full: wait for room, for SYNACK_TUN_WRITE_WAIT_MS in all. */
        int64_t now = mono_ms();
        if (give_up < 0) {
            give_up = now + SYNACK_TUN_WRITE_WAIT_MS;
            t->stats.tx_waits++;
        }
        if (now >= give_up) {
            t->stats.tx_dropped++;
            errno = EAGAIN;
            return -1;
        }
        struct pollfd p = { .fd = t->fd, .events = POLLOUT, .revents = 0 };
        if (poll(&p, 1, (int)(give_up - now)) < 0 && errno != EINTR) {
            t->stats.tx_errors++;
            return -1;
        }
    }
}

void synack_tun_stats(const struct synack_tun *t, struct synack_tun_stats *out) { *out = t->stats; }

void synack_tun_close(struct synack_tun *t)
{
    if (!t)
        return;
    close(t->fd);
    free(t);
}

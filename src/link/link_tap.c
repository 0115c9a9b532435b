/*
 * TAP link (include/synack/netdev.h): IFF_TAP | IFF_NO_PI, so each read() returns one Ethernet
 * II frame (no FCS) and each write() injects one (Documentation/networking/tuntap.rst). The
 * kernel's side of the device is an Ethernet interface with its own MAC; synack is the host at
 * the other end of the wire with d->mac. Reading, writing and the handling of a device that
 * went away are the TUN driver's (src/link/link_tun.c, through src/link/tuntap.h).
 */
#include "synack/netdev.h"
#include "link/tuntap.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

/* Six random bytes from getrandom(), or /dev/urandom if the kernel has no getrandom. */
static int random_bytes(uint8_t *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(b + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != ENOSYS)
                return -1;
            break;
        }
        got += (size_t)r;
    }
    if (got == n)
        return 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (got < n) {
        ssize_t r = read(fd, b + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int saved = r < 0 ? errno : EIO;
            close(fd);
            errno = saved;
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

static int mac_is_zero(const uint8_t m[6])
{
    static const uint8_t z[6];
    return memcmp(m, z, 6) == 0;
}

struct synack_netdev *synack_netdev_open_tap(const char *name, const uint8_t mac[6])
{
    if (mac && ((mac[0] & 0x01) || mac_is_zero(mac))) {
        errno = EINVAL; /* multicast/broadcast or all-zero: not a host's address */
        return NULL;
    }
    struct synack_netdev *d = synack__tuntap_open(name, 1, NULL);
    if (!d)
        return NULL;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (synack__ifreq(d->name, SIOCGIFHWADDR, &ifr) < 0)
        goto fail;
    const uint8_t *kmac = (const uint8_t *)ifr.ifr_hwaddr.sa_data;
    if (mac) {
        if (memcmp(mac, kmac, 6) == 0) {
            errno = EADDRINUSE;
            goto fail;
        }
        memcpy(d->mac, mac, 6);
    } else {
        /* Locally administered (0x02) unicast (not 0x01), and not the kernel side's MAC (which
         * the kernel also draws at random, eth_hw_addr_random()). */
        int tries = 0;
        do {
            if (++tries > 16) {
                errno = EAGAIN;
                goto fail;
            }
            if (random_bytes(d->mac, 6) < 0)
                goto fail;
            d->mac[0] = (uint8_t)((d->mac[0] | 0x02) & ~0x01);
        } while (memcmp(d->mac, kmac, 6) == 0);
    }
    return d;

fail:;
    int saved = errno;
    synack_netdev_close(d);
    errno = saved;
    return NULL;
}

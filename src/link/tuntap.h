/* Internal: the part of the TUN driver (src/link/link_tun.c) that the TAP link
 * (src/link/link_tap.c) shares. Not installed; not part of the public API. */
#ifndef SYNACK_LINK_TUNTAP_H
#define SYNACK_LINK_TUNTAP_H
#include <net/if.h>
#include "synack/netdev.h"

/** Opens /dev/net/tun as a TUN (tap == 0) or TAP (tap == 1) device with IFF_NO_PI and wraps it
 *  in a netdev whose rx_burst/tx/flush/close are the TUN driver's (kind, mac and ops name are
 *  the caller's to adjust for TAP). cfg may be NULL; offload is refused for TAP (EINVAL).
 *  NULL with errno on failure. */
struct synack_netdev *synack__tuntap_open(const char *name, int tap,
                                          const struct synack_tun_config *cfg);

/** ioctl req (SIOCGIFMTU, SIOCGIFHWADDR...) on interface ifname through a datagram socket;
 *  ifr is filled with the name first. 0, or -1 with errno. */
int synack__ifreq(const char *ifname, unsigned long req, struct ifreq *ifr);

/** The TAP ops (name "tap"); the functions are the TUN driver's. */
extern const struct synack_netdev_ops synack__tap_ops;
#endif

/**
 * @file netdev.h
 * Network devices: one small interface for every link that carries packets between the
 * operating system and a stack (src/link/): TUN (bare IPv4), TAP and AF_XDP (Ethernet II
 * frames). Modelled on smoltcp's `phy::Device` and DPDK's rx/tx burst calls: receive in
 * batches through a callback that sees each frame in place (no copy on AF_XDP), transmit
 * into a batch that one flush hands to the kernel (one system call or ring kick per batch,
 * never per packet).
 *
 * Call order (see tools/common.c for a complete loop):
 *   d = synack_netdev_open_tun(...) / synack_netdev_open_tap(...) / synack_netdev_open_xdp(...)
 *   loop: wait for d->fd to be readable (loop.h), or busy-poll;
 *         d->ops->rx_burst(d, fn, ctx, max)    fn(ctx, frame, len) for each frame received;
 *                                               the frame is valid only during the call
 *         d->ops->tx(d, frame, len)            for each frame to send (copied into the batch;
 *                                               a full batch is flushed by tx itself)
 *         d->ops->flush(d)                     hands the batch to the kernel
 *   d->ops->close(d)
 *
 * Errors return -1 with errno set. A device that has gone away (deleted, or its driver
 * unbound) reports it: rx_burst/flush return -1 with errno ENODEV, ENXIO, EBADFD, ENETDOWN or
 * EIO, and keep reporting it; callers must stop rather than spin. A frame the kernel would not
 * take because its queue stayed full is dropped and counted in tx_dropped (not an error).
 */
#ifndef SYNACK_NETDEV_H
#define SYNACK_NETDEV_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a device's frames are. */
enum synack_netdev_kind {
    SYNACK_NETDEV_IP = 0,   /**< bare IPv4 packets (TUN with IFF_NO_PI) */
    SYNACK_NETDEV_ETH = 1   /**< Ethernet II frames without FCS (TAP, AF_XDP) */
};

/** Counters every device keeps. */
struct synack_netdev_stats {
    uint64_t rx_packets, rx_bytes;
    uint64_t rx_dropped;    /**< frames received but not delivered (too large, malformed
                                 descriptor) */
    uint64_t rx_batches;    /**< rx_burst calls that returned at least one frame */
    uint64_t tx_packets, tx_bytes;
    uint64_t tx_dropped;    /**< frames lost because the kernel's queue or ring stayed full */
    uint64_t tx_errors;     /**< frames refused for another reason */
    uint64_t tx_batches;    /**< system calls or ring kicks that sent frames */
    uint64_t tx_waits;      /**< times a transmit had to wait for room */
};

struct synack_netdev;

/** Called by rx_burst for each frame; frame is valid only during the call. */
typedef void (*synack_netdev_rx_fn)(void *ctx, const uint8_t *frame, size_t len);

struct synack_netdev_ops {
    const char *name;       /**< "tun", "tap", "xdp" */
    /** Delivers up to max waiting frames to fn; returns how many (0 if none was waiting), or
     *  -1 with errno set when the device failed (see the file comment). */
    int (*rx_burst)(struct synack_netdev *d, synack_netdev_rx_fn fn, void *ctx, unsigned max);
    /** Queues one frame (len <= the device's frame size) for the next flush; returns 0, or -1
     *  with errno (EMSGSIZE: too large; a device failure as above). */
    int (*tx)(struct synack_netdev *d, const uint8_t *frame, size_t len);
    /** Sends what tx queued; returns 0 or -1 (device failure). */
    int (*flush)(struct synack_netdev *d);
    /** Closes the device and frees d (NULL is allowed through synack_netdev_close). */
    void (*close)(struct synack_netdev *d);
};

/** A device. The fields are set by the open functions and read by callers. */
struct synack_netdev {
    const struct synack_netdev_ops *ops;
    enum synack_netdev_kind kind;
    char name[16];          /**< the interface's name */
    int fd;                 /**< readable when frames wait (one fd even with several queues;
                                 AF_XDP: the socket's fd, or an epoll fd holding every socket).
                                 An AF_XDP socket does not become readable when its interface
                                 goes down or away: rx_burst reports that (ENETDOWN, ENXIO) on
                                 its next call, so loops should also call it after a wait that
                                 timed out */
    unsigned mtu;           /**< IP MTU: largest IPv4 packet (frames are 14 bytes more) */
    uint8_t mac[6];         /**< ETH kinds: the MAC synack sends from and answers to */
    struct synack_netdev_stats stats;
    void *priv;             /**< the driver's own state */
};

/** Closes d (NULL is allowed). */
void synack_netdev_close(struct synack_netdev *d);

/* ---- TUN (src/link/link_tun.c) ---- */

/** Options of a TUN device. Zero-fill for the defaults. */
struct synack_tun_config {
    int offload;            /**< 1: IFF_VNET_HDR with TUNSETOFFLOAD (TUN_F_CSUM | TUN_F_TSO4):
                                 the kernel hands over coalesced segments of up to 64 KiB and
                                 takes such segments from us (the driver coalesces consecutive
                                 segments of a flow on transmit). 0: one MTU packet per read */
    unsigned mtu;           /**< 0: keep the device's MTU; else set it (68..65535) at open.
                                 d->mtu is read from the interface at open only: if the MTU
                                 is changed later (synack_tun_configure with mtu != 0), d->mtu
                                 does not follow, so pass the MTU here instead */
};
/** Creates or attaches to TUN device name (IFF_TUN | IFF_NO_PI); see tun.h for naming and
 *  synack_tun_configure() for the kernel's side. NULL with errno on failure (ENOTSUP/EINVAL
 *  from TUNSETOFFLOAD if the kernel refuses the offloads).
 *  With offload, rx_burst delivers IPv4 packets of up to 65535 bytes (larger than d->mtu;
 *  TCP super-packets whose checksums the driver has completed), and tx takes MTU-sized
 *  segments and coalesces them until flush. A write the kernel refuses because the link is
 *  down (EIO) is counted in tx_errors and is not a device failure. */
struct synack_netdev *synack_netdev_open_tun(const char *name, const struct synack_tun_config *cfg);

/* ---- TAP (src/link/link_tap.c) ---- */

/** Creates or attaches to TAP device name (IFF_TAP | IFF_NO_PI): the kernel's side is an
 *  Ethernet interface; synack is the host at the other end of the wire, with MAC mac (NULL: a
 *  random locally administered unicast address that differs from the kernel interface's own
 *  MAC). d->mtu is the interface's MTU at open (frames are up to d->mtu + 14 bytes); configure
 *  the kernel's side with synack_tun_configure(d->name, ...), with mtu 0 to keep d->mtu
 *  right. NULL with errno on failure: EINVAL (mac multicast or zero), EADDRINUSE (mac equals
 *  the kernel interface's), and those of synack_netdev_open_tun. */
struct synack_netdev *synack_netdev_open_tap(const char *name, const uint8_t mac[6]);

/* ---- AF_XDP (src/link/link_xdp.c; built when libxdp and libbpf are installed) ---- */

/** XDP attach modes. */
enum { SYNACK_XDP_MODE_AUTO = 0, SYNACK_XDP_MODE_NATIVE, SYNACK_XDP_MODE_GENERIC };

/** Options of an AF_XDP device. Zero-fill for the defaults. */
struct synack_xdp_config {
    int mode;               /**< SYNACK_XDP_MODE_*: auto tries native (driver) XDP, then generic */
    int zerocopy;           /**< 0 auto (zero-copy where the driver has it), 1 require, -1 copy */
    unsigned queue;         /**< first queue (default 0) */
    unsigned nqueues;       /**< sockets, one per queue from `queue` (0: every rx queue) */
    unsigned frames;        /**< UMEM frames per socket (default 4096, power of two) */
    unsigned ring_size;     /**< rx/tx/fill/completion ring entries (default 2048) */
    int busy_poll;          /**< 1: SO_PREFER_BUSY_POLL, SO_BUSY_POLL (20 us) and
                                 SO_BUSY_POLL_BUDGET (64) on every socket, best effort; callers
                                 then call rx_burst in a loop instead of waiting on fd */
    unsigned frame_size;    /**< bytes per UMEM frame: 2048 (default) up to the page size, a
                                 power of two. The kernel keeps 256 bytes of headroom, so the
                                 device's mtu is at most frame_size - 256 - 14 */
};
/** What an open AF_XDP device ended up with (synack_netdev_xdp_info). */
struct synack_xdp_info {
    int native;             /**< 1: driver (native) XDP, 0: generic (skb) XDP */
    int zerocopy;           /**< 1: sockets bound XDP_ZEROCOPY, 0: XDP_COPY */
    unsigned first_queue, nqueues;
    unsigned frame_size;
    uint32_t prog_id;       /**< the attached program's id (`ip link show` / bpftool) */
    /** The kernel's XDP_STATISTICS, summed over the sockets: frames it dropped (no room in
     *  the rx ring or nothing in the fill ring) and descriptors it found invalid. */
    uint64_t kernel_rx_dropped, kernel_rx_invalid, kernel_tx_invalid;
    uint64_t kernel_rx_ring_full, kernel_fill_empty;
};
/** 1 if this build has AF_XDP support (libxdp), 0 if not (open then fails with ENOTSUP). */
int synack_xdp_available(void);
/** Attaches an XDP program to interface ifname that redirects every frame of the chosen
 *  queues to AF_XDP sockets, and opens those sockets (one per queue, each with its own UMEM).
 *  The program is loaded with libbpf from raw instructions, not through libxdp's dispatcher,
 *  so no bpffs is needed (works under `ip netns exec`); an interface that already has an XDP
 *  program is refused with EBUSY. Frames on queues without a socket go to the kernel's stack.
 *  Every frame is transmitted through the first socket. The device's MAC is the interface's.
 *  NULL with errno: ENODEV (no such interface), EPERM (not root), ENOTSUP (no AF_XDP in this
 *  build or kernel), EOPNOTSUPP/EINVAL (XDP refused in the mode asked), ... A message for
 *  the user is in synack_xdp_last_error(). The program is detached by close. */
struct synack_netdev *synack_netdev_open_xdp(const char *ifname, const struct synack_xdp_config *cfg);
/** Fills info for d, a device from synack_netdev_open_xdp(); 0, or -1 with errno EINVAL (not
 *  an AF_XDP device) or ENOTSUP (no AF_XDP in this build). */
int synack_netdev_xdp_info(const struct synack_netdev *d, struct synack_xdp_info *info);
/** The last open error's explanation ("" if none). */
const char *synack_xdp_last_error(void);

#ifdef __cplusplus
}
#endif
#endif

/**
 * @file tun.h
 * Linux TUN devices carrying bare IPv4 packets (IFF_TUN | IFF_NO_PI), for `synack serve` and
 * `synack connect` (src/link/link_tun.c).
 *
 * The TUN fd is the stack's side of a point-to-point link; the kernel is the other end. The
 * kernel's side is configured with synack_tun_configure() (an address and prefix on the device,
 * the MTU, link up) through ioctls, without running `ip`. The stack then uses another address of
 * the same prefix, e.g. kernel 10.77.1.1/24, stack 10.77.1.2.
 *
 * Call order:
 *   t = synack_tun_open("synack0", name)             creates (or attaches to) the device
 *   synack_tun_configure(name, host_addr, 24, 1500)  kernel side: address, MTU, IFF_UP
 *   loop: wait for synack_tun_fd(t) to be readable (see loop.h), then
 *         synack_tun_read_batch() / synack_tun_read() until it returns 0 / EAGAIN;
 *         synack_tun_write() each packet the stack emits
 *   synack_tun_close(t)                              a non-persistent device disappears here
 *
 * The fd is non-blocking and close-on-exec. Errors return -1 with errno set; printing messages
 * is the caller's job. Addresses are host byte order, as in synack.h. Needs CAP_NET_ADMIN.
 */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of an interface name buffer, terminating NUL included (equals IFNAMSIZ). */
#define SYNACK_TUN_NAMSIZ 16
/** How long synack_tun_write() waits for room when the kernel's queue is full. */
#define SYNACK_TUN_WRITE_WAIT_MS 100

struct synack_tun;

/** Counters kept by the driver. */
struct synack_tun_stats {
    uint64_t rx_packets, rx_bytes;
    uint64_t rx_truncated;  /**< packets larger than the caller's buffer (discarded) */
    uint64_t tx_packets, tx_bytes;
    uint64_t tx_waits;      /**< writes that had to wait for POLLOUT */
    uint64_t tx_dropped;    /**< packets lost because the queue stayed full (errno EAGAIN) */
    uint64_t tx_errors;     /**< writes refused for another reason (errno set) */
};

/**
 * Opens /dev/net/tun and creates, or attaches to, the TUN device `name` (IFF_TUN | IFF_NO_PI).
 * name NULL or "" lets the kernel choose ("tun%d"); a "%d" in name is a kernel template.
 * actual_name_out, if not NULL, receives the device's name (SYNACK_TUN_NAMSIZ bytes).
 * The device is not persistent: it goes away with synack_tun_close().
 * Returns NULL with errno set (ENAMETOOLONG, EPERM, EBUSY, ENOENT if there is no TUN driver...).
 */
struct synack_tun *synack_tun_open(const char *name, char *actual_name_out);

/**
 * Configures the kernel's side of interface ifname: MTU (if mtu != 0), address host_addr with
 * prefix prefix_len (1..32; the kernel adds the prefix route), then IFF_UP. Idempotent.
 * Does not touch any other interface or route. Returns 0, or -1 with errno set.
 */
int synack_tun_configure(const char *ifname, uint32_t host_addr, int prefix_len, unsigned mtu);

/** The non-blocking fd, for poll(). */
int synack_tun_fd(const struct synack_tun *t);
/** The device's name. */
const char *synack_tun_name(const struct synack_tun *t);

/**
 * Reads one packet into buf. Returns its length, or -1 with errno set: EAGAIN when no packet is
 * waiting, EMSGSIZE when the packet was larger than len (it is discarded and counted).
 * A buffer of the device's MTU is enough; 65535 bytes always is.
 */
ssize_t synack_tun_read(struct synack_tun *t, void *buf, size_t len);

/**
 * Reads up to n packets, stopping at the first EAGAIN: packet i goes to bufs[i] (each bufsize
 * bytes) and its length to lens[i]. Oversized packets are discarded and counted, as above.
 * Returns the number of packets read (0 when none was waiting), or -1 with errno set if the
 * very first read failed with an error other than EAGAIN.
 */
int synack_tun_read_batch(struct synack_tun *t, uint8_t *const bufs[], size_t bufsize,
                          size_t lens[], int n);

/**
 * Writes one packet. If the kernel's queue is full, waits for POLLOUT up to
 * SYNACK_TUN_WRITE_WAIT_MS; if it stays full, the packet is dropped, counted in tx_dropped,
 * and -1 is returned with errno EAGAIN. Returns 0 when the whole packet was written.
 */
int synack_tun_write(struct synack_tun *t, const void *pkt, size_t len);

void synack_tun_stats(const struct synack_tun *t, struct synack_tun_stats *out);

/** Closes the fd and frees t (NULL is allowed). */
void synack_tun_close(struct synack_tun *t);

/* ---- Offload helpers (pure functions, no system calls) -------------------------------------
 * Used by synack_netdev_open_tun() with synack_tun_config.offload = 1 (src/link/link_tun.c),
 * exposed for tests/unit/test_tun_offload.c. With IFF_VNET_HDR every read and write of the TUN
 * fd starts with a struct virtio_net_hdr (linux/virtio_net.h; 10 bytes, TUNSETVNETHDRSZ), whose
 * 16-bit fields the driver asks to be little-endian (TUNSETVNETLE):
 *   u8 flags (VIRTIO_NET_HDR_F_NEEDS_CSUM 1, _DATA_VALID 2), u8 gso_type (_GSO_NONE 0,
 *   _GSO_TCPV4 1, _GSO_ECN 0x80), le16 hdr_len, le16 gso_size, le16 csum_start,
 *   le16 csum_offset.
 * See Documentation/networking/tuntap.rst and the virtio spec, "Packet Transmission" /
 * "Processing of Incoming Packets" (5.1.6.2, 5.1.6.4). */

/** Bytes of the virtio-net header in front of each packet (sizeof(struct virtio_net_hdr)). */
#define SYNACK_TUN_VNET_HLEN 10
/** Largest IPv4 packet (a GSO super-packet included). */
#define SYNACK_TUN_GSO_MAX 65535

/**
 * Checks and completes one packet read from an IFF_VNET_HDR TUN fd: buf holds n bytes, the
 * virtio header then the packet (at buf + SYNACK_TUN_VNET_HLEN, *len_out bytes on success).
 * - F_NEEDS_CSUM: the checksum from csum_start to the end of the packet is computed and
 *   stored at csum_start + csum_offset (where the kernel left the pseudo-header sum), so the
 *   packet carries a valid checksum.
 * - GSO_TCPV4: the packet is a TCP/IPv4 super-packet of up to 64 KiB whose IP total length
 *   covers all of it; it is delivered whole (not resegmented), with its IP header checksum
 *   recomputed if wrong. It must be a well-formed TCP/IPv4 packet with total length == its
 *   size, no fragment, gso_size != 0, F_NEEDS_CSUM with csum_start = IP header length and
 *   csum_offset = 16. hdr_len is ignored (the kernel fills it with its linear length).
 * Returns 0 (ordinary packet), 1 (GSO super-packet), or -1: the packet must be dropped
 * (unknown flags or GSO types, csum_start/csum_offset past the packet, gso_size 0, lengths
 * that disagree...). Never reads or writes outside buf[0, n).
 */
int synack_tun_vnet_rx(uint8_t *buf, size_t n, size_t *len_out);

/** Why synack_tun_gso_add() did not take a packet (0: it did). */
enum synack_tun_gso_res {
    SYNACK_TUN_GSO_ADDED = 0,   /**< the packet started or joined the pending super-packet */
    /* The packet is never coalesced: write it alone, after the pending super-packet. */
    SYNACK_TUN_GSO_NOT_TCP4,    /**< not a well-formed TCP/IPv4 packet, an IP fragment, or
                                     total length != its size */
    SYNACK_TUN_GSO_CTL,         /**< SYN, RST, URG or CWR set */
    SYNACK_TUN_GSO_NO_DATA,     /**< no payload (a pure ACK, a bare FIN) */
    /* The packet does not fit the pending one: finish that, then offer the packet again. */
    SYNACK_TUN_GSO_FLOW,        /**< addresses or ports differ */
    SYNACK_TUN_GSO_CLOSED,      /**< the pending one already ended (short payload, PSH, FIN) */
    SYNACK_TUN_GSO_SEQ,         /**< sequence number is not the next one */
    SYNACK_TUN_GSO_IP_HDR,      /**< an IP header byte other than id/length/checksum differs
                                     (header length, TOS/ECN, DF, TTL, options) */
    SYNACK_TUN_GSO_TCP_HDR,     /**< ack, window, data offset, urgent pointer, or flags other
                                     than PSH/FIN differ */
    SYNACK_TUN_GSO_OPTIONS,     /**< TCP option bytes differ (timestamps included) */
    SYNACK_TUN_GSO_SIZE         /**< payload larger than the first's (gso_size), or the
                                     super-packet would exceed SYNACK_TUN_GSO_MAX */
};

/** A super-packet being built by synack_tun_gso_add(). Zero-fill (or _finish) to empty. */
struct synack_tun_gso {
    size_t len;                 /**< packet bytes at buf + SYNACK_TUN_VNET_HLEN (0: empty) */
    size_t in_bytes;            /**< sum of the segments' lengths */
    unsigned nseg;              /**< segments coalesced */
    unsigned ihl, hlen;         /**< IP header bytes; IP + TCP header bytes */
    unsigned gso_size;          /**< payload bytes of the first segment */
    uint32_t next_seq;          /**< sequence number the next segment must have */
    int closed;                 /**< the last segment ended the super-packet */
    uint8_t buf[SYNACK_TUN_VNET_HLEN + SYNACK_TUN_GSO_MAX];
};

/**
 * Offers TCP/IPv4 segment pkt (len bytes) to g. Segments coalesce when they are of one flow
 * (addresses, ports), with contiguous sequence numbers, identical IP headers but for id,
 * total length and checksum, identical TCP headers (options included) but for sequence
 * number, checksum and flags, where only the last may carry PSH or FIN; every payload is the
 * first's size (gso_size) except the last's, which may be shorter; no SYN, RST, URG or CWR;
 * 65535 bytes in all. Returns SYNACK_TUN_GSO_ADDED, or why not (g unchanged).
 */
int synack_tun_gso_add(struct synack_tun_gso *g, const uint8_t *pkt, size_t len);

/**
 * Ends g's super-packet: *out points at the bytes to write to an IFF_VNET_HDR TUN fd, the
 * virtio header then the packet, and their number is returned (0 if g was empty); *nseg_out
 * (if not NULL) gets the number of segments. One segment is written as it came, with a zero
 * header. Several are one packet with IP total length and checksum updated, the TCP checksum
 * field set to the pseudo-header sum (not inverted) over the super-packet's TCP length, and a
 * header with F_NEEDS_CSUM (csum_start = IP header length, csum_offset = 16), GSO_TCPV4,
 * gso_size and hdr_len = IP + TCP header length: the kernel resegments it into the original
 * segments where it has to (and fills in their checksums). g is emptied; *out stays valid
 * until the next synack_tun_gso_add().
 */
size_t synack_tun_gso_finish(struct synack_tun_gso *g, const uint8_t **out, unsigned *nseg_out);

#ifdef __cplusplus
}
#endif
#endif

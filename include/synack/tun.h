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

#ifdef __cplusplus
}
#endif
#endif

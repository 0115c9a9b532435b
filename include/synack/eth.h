/**
 * @file eth.h
 * The Ethernet layer of a stack (src/core/eth.c): Ethernet II framing, ARP (RFC 826) and a
 * bounded neighbour cache, for links that carry frames (TAP, AF_XDP). Sans-I/O like the rest
 * of the core: frames and the time come in as arguments, frames to send come out of
 * synack_eth_poll(), synack_eth_poll_at() says when to call again.
 *
 * A stack may own several Ethernet interfaces (synack_eth_add_if; index 0, 1, ...). On each
 * the stack has its one IPv4 address (synack_config.addr) with the interface's prefix, and
 * answers ARP for it.
 *
 * Where a packet goes:
 * - A packet the stack queues while it processes a received frame, addressed to that frame's
 *   IPv4 source (a SYN-ACK, RST, ACK, echo reply...), goes out of the interface the frame came
 *   in on, to the frame's source MAC. A spoofed SYN flood therefore never touches the
 *   neighbour cache and never makes an ARP request.
 * - Any other packet (data sent later, retransmissions, an active open) is routed: to its
 *   destination when that is on-link (inside an interface's prefix), else to the gateway;
 *   the next hop's MAC comes from the neighbour cache. A miss sends an ARP request (broadcast,
 *   at most one per probe interval per entry, max_probes in all) and holds the packet in a
 *   bounded queue (pending_per_entry per neighbour, pending_max in all) until the reply; an
 *   entry that never resolves is dropped with its packets (counter arp_unresolved_drop).
 * - Entries learnt from ARP are REACHABLE for reachable_us, then STALE: still used, and
 *   re-confirmed by a unicast request (RFC 1122 §2.3.2.1 "unicast poll"). The cache holds
 *   neigh_entries entries; a new one replaces the least recently used (neigh_evicted).
 *
 * Input checks, each with a counter: frames shorter than 14 bytes, multicast or broadcast
 * source MACs, unicast destinations that are not ours, EtherTypes other than IPv4 and ARP
 * (IPv6, VLAN tags...), malformed ARP, ARP from our own address (a conflict) or for other
 * addresses. An ARP request for our address creates or updates the sender's entry (RFC 826's
 * merge rule); a reply updates only an entry we asked for.
 *
 * Call order:
 *   synack_stack_new(&cfg, &st); synack_eth_new(st, &ecfg, &e);
 *   i = synack_eth_add_if(e, mac, prefix_len)     gratuitous ARP queued for the next poll
 *   synack_eth_input(e, now, i, frame, len)       for each frame received on interface i
 *   synack_eth_poll(e, now, emit, ctx)            instead of synack_poll(st, ...)
 *   synack_eth_poll_at(e)                         instead of synack_poll_at(st)
 *   synack_eth_free(e); synack_stack_free(st)
 */
#ifndef SYNACK_ETH_H
#define SYNACK_ETH_H
#include <stddef.h>
#include <stdint.h>
#include "synack.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Interfaces one stack may own. */
#define SYNACK_ETH_MAX_IFS 8
/** Ethernet II header bytes (no VLAN tag, no FCS). */
#define SYNACK_ETH_HLEN 14

struct synack_eth;

struct synack_eth_config {
    uint32_t gateway;              /**< next hop for off-link destinations (0: none; such
                                        packets are dropped, counter eth_drop_no_route) */
    unsigned neigh_entries;        /**< neighbour cache entries (default 256) */
    unsigned pending_max;          /**< packets waiting for resolution, in all (default 256) */
    unsigned pending_per_entry;    /**< ... per neighbour (default 64: a first burst of a
                                        connection; Linux holds 212992 bytes, unres_qlen_bytes) */
    synack_time_us reachable_us;   /**< REACHABLE lifetime of a confirmed entry (default 30 s) */
    synack_time_us probe_interval_us; /**< between ARP requests for one entry (default 1 s) */
    unsigned max_probes;           /**< requests before an entry fails (default 3) */
    unsigned ctl_queue;            /**< ARP frames queued between polls (default 256) */
};
void synack_eth_config_default(struct synack_eth_config *cfg);

/** Creates the Ethernet layer of st (which must outlive it). Returns 0 or a negative SYNACK_E*
 *  code (SYNACK_EINVAL for a bad config, SYNACK_ENOMEM). Allocates everything here. */
int synack_eth_new(struct synack_stack *st, const struct synack_eth_config *cfg,
                   struct synack_eth **out);
void synack_eth_free(struct synack_eth *e);

/** Adds an interface with MAC mac (a unicast address) and the prefix of the stack's address on
 *  it (1..32). Returns its index (0..SYNACK_ETH_MAX_IFS-1) or a negative SYNACK_E* code.
 *  Queues a gratuitous ARP request announcing the address (RFC 5227 §3). */
int synack_eth_add_if(struct synack_eth *e, const uint8_t mac[6], int prefix_len);

/** Feeds one frame received on interface ifindex (Ethernet II, without FCS; trailing padding
 *  allowed). Never fails: bad input is dropped and counted. */
void synack_eth_input(struct synack_eth *e, synack_time_us now, int ifindex, const uint8_t *frame,
                      size_t len);

/** Receives each frame to send and the interface to send it on; valid only during the call. */
typedef void (*synack_eth_emit_fn)(void *ctx, int ifindex, const uint8_t *frame, size_t len);
/** synack_poll() of the stack, with every packet framed (or held for resolution), and the
 *  ARP traffic; also runs the neighbour cache's timers. */
void synack_eth_poll(struct synack_eth *e, synack_time_us now, synack_eth_emit_fn emit, void *ctx);
/** When synack_eth_poll() must next be called (the stack's and the cache's deadlines). */
synack_time_us synack_eth_poll_at(struct synack_eth *e);

/** Neighbour cache entry states. */
enum { SYNACK_NEIGH_INCOMPLETE = 1, SYNACK_NEIGH_REACHABLE, SYNACK_NEIGH_STALE };
/** Looks up addr; returns its state (0: absent) and, when resolved, its MAC and interface. */
int synack_eth_neigh_lookup(const struct synack_eth *e, uint32_t addr, uint8_t mac_out[6],
                            int *ifindex_out);
struct synack_eth_stats {
    unsigned neigh_used, neigh_max;   /**< entries in use, capacity */
    unsigned pending;                 /**< packets waiting for resolution */
    size_t bytes_reserved;            /**< allocated at synack_eth_new() */
};
void synack_eth_stats(const struct synack_eth *e, struct synack_eth_stats *out);

#ifdef __cplusplus
}
#endif
#endif

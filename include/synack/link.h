/**
 * @file link.h
 * Links that carry bare IPv4 packets to and from stacks (src/link/).
 *
 * The in-memory link joins any number of endpoints in one process, in virtual time: a packet
 * sent at time t arrives at the endpoint that owns its destination address at t + delay
 * (+ jitter), unless a seeded PRNG decides to lose it, duplicate it or reorder it. The same seed
 * and the same sends give the same deliveries, always.
 *
 * The pcap writer records packets for tcpdump -r and tshark -r: bare IPv4 (LINKTYPE_RAW, the
 * default) or, with synack_pcap_open_linktype(), another link type such as Ethernet frames.
 */
#ifndef SYNACK_LINK_H
#define SYNACK_LINK_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "synack.h"

/* ---- in-memory link ---- */
struct synack_memlink;
struct synack_memlink_config {
    uint64_t seed;
    double loss;            /**< probability a packet is lost (0..1) */
    double dup;             /**< probability a packet is delivered twice */
    double reorder;         /**< probability a packet is held back by reorder_delay_us */
    synack_time_us delay_us;        /**< one-way propagation delay (default 1000) */
    synack_time_us jitter_us;       /**< uniform extra delay in [0, jitter_us] */
    synack_time_us reorder_delay_us;/**< extra delay of a reordered packet (default 3*delay) */
    size_t max_queued;      /**< packets in flight at most; more are dropped (default 100000) */
};
void synack_memlink_config_default(struct synack_memlink_config *cfg);
struct synack_memlink *synack_memlink_new(const struct synack_memlink_config *cfg);
void synack_memlink_free(struct synack_memlink *l);
/** Receives packets for addr. input is called from synack_memlink_deliver(). */
typedef void (*synack_memlink_input_fn)(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len);
int synack_memlink_attach(struct synack_memlink *l, uint32_t addr, synack_memlink_input_fn input,
                          void *ctx);
/** Sends a packet at time now (copies it). Packets to an unknown address are counted and lost. */
void synack_memlink_send(struct synack_memlink *l, synack_time_us now, const uint8_t *pkt, size_t len);
/** Arrival time of the next packet in flight, or SYNACK_TIME_NEVER. */
synack_time_us synack_memlink_next(const struct synack_memlink *l);
/** Delivers every packet whose arrival time is <= now, in arrival order (ties: send order). */
void synack_memlink_deliver(struct synack_memlink *l, synack_time_us now);
/** Optional tap that sees every packet as sent (before impairment), e.g. a pcap writer. */
void synack_memlink_set_tap(struct synack_memlink *l,
                            void (*tap)(void *ctx, synack_time_us now, const uint8_t *pkt, size_t len),
                            void *ctx);
struct synack_memlink_stats { uint64_t sent, delivered, lost, duplicated, reordered, unroutable; };
void synack_memlink_stats(const struct synack_memlink *l, struct synack_memlink_stats *out);

/* ---- pcap writer ---- */
struct synack_pcap;
/** pcap link types: bare IPv4 packets, Ethernet II frames. */
#define SYNACK_PCAP_LINKTYPE_RAW 101u
#define SYNACK_PCAP_LINKTYPE_ETHERNET 1u
/** Opens path for writing and writes the global header (LINKTYPE_RAW = 101, snaplen 65535). */
struct synack_pcap *synack_pcap_open(const char *path);
/** The same with another link type (e.g. SYNACK_PCAP_LINKTYPE_ETHERNET: records are frames). */
struct synack_pcap *synack_pcap_open_linktype(const char *path, uint32_t linktype);
/** Records one packet (or frame) stamped with now (microseconds). */
void synack_pcap_write(struct synack_pcap *p, synack_time_us now, const uint8_t *pkt, size_t len);
/** synack_pcap_write with a void * first argument, to pass to synack_memlink_set_tap(l,
 *  synack_pcap_tap, p). */
void synack_pcap_tap(void *p, synack_time_us now, const uint8_t *pkt, size_t len);
void synack_pcap_close(struct synack_pcap *p);
#endif

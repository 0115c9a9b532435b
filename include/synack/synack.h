/**
 * @file synack.h
 * The synack stack object: a user-space TCP/IPv4 stack whose core is sans-I/O.
 *
 * The starting point is synack_stack_new(). Packets (bare IPv4, as on a TUN device with
 * IFF_NO_PI) go in through synack_input(); synack_poll() runs timers, sends pending data and
 * hands every packet the stack wants to send to a callback; synack_poll_at() says when the
 * stack next needs synack_poll(). Time is always an argument (microseconds, any epoch, never
 * going backwards); the stack never reads a clock or draws entropy itself: the 128-bit secret
 * in the config is the only source of unpredictability (ISNs, ephemeral ports).
 *
 * Call order for an event loop:
 *   synack_input(st, now, pkt, len)   for each packet received
 *   synack_poll(st, now, emit, ctx)   after input, after socket calls, and at synack_poll_at()
 */
#ifndef SYNACK_SYNACK_H
#define SYNACK_SYNACK_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Time in microseconds. */
typedef int64_t synack_time_us;
/** "No deadline": returned by synack_poll_at() when nothing is pending. */
#define SYNACK_TIME_NEVER INT64_MAX

struct synack_stack;

/** TCP states, in RFC 9293 order (see src/core/tcp_state.h for the ordering trick). */
enum synack_tcp_state {
    SYNACK_CLOSED = 0,
    SYNACK_LISTEN,
    SYNACK_SYN_SENT,
    SYNACK_SYN_RCVD,
    SYNACK_ESTABLISHED,
    SYNACK_CLOSE_WAIT,
    SYNACK_FIN_WAIT_1,
    SYNACK_CLOSING,
    SYNACK_LAST_ACK,
    SYNACK_FIN_WAIT_2,
    SYNACK_TIME_WAIT,
    SYNACK_NSTATES
};
/** "ESTABLISHED", "SYN_SENT", ... */
const char *synack_state_name(int state);

/** Segment flags as on the wire. */
enum {
    SYNACK_FIN = 0x01, SYNACK_SYN = 0x02, SYNACK_RST = 0x04,
    SYNACK_PSH = 0x08, SYNACK_ACK = 0x10, SYNACK_URG = 0x20,
    SYNACK_ECE = 0x40, SYNACK_CWR = 0x80
};

/** What a traced segment carried. Addresses and ports in host byte order. */
struct synack_seg_info {
    uint32_t saddr, daddr;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t window;      /**< raw window field */
    uint32_t len;         /**< payload bytes */
    /* options present (0 = absent) */
    uint16_t mss;
    uint8_t has_mss, has_ws, ws, sack_ok, has_ts;
    uint32_t tsval, tsecr;
};

/** Direction of a traced segment. */
enum synack_dir { SYNACK_DIR_IN = 0, SYNACK_DIR_OUT = 1 };

/**
 * Observability hooks. All optional; called synchronously from inside synack_input(),
 * synack_poll() and the socket calls.
 */
struct synack_hooks {
    void *ctx;
    /** Every TCP state transition: conn is the socket handle (or -1 for a connection not yet
     *  visible to the user), event a short text such as "rcv SYN" or "user close". */
    void (*on_state)(void *ctx, synack_time_us now, int conn, int old_state, int new_state,
                     const char *event);
    /** Every TCP segment sent or received (received: after checksum validation). */
    void (*on_segment)(void *ctx, synack_time_us now, enum synack_dir dir,
                       const struct synack_seg_info *seg);
};

/** SYN cookie modes, as Linux's net.ipv4.tcp_syncookies: off (a full half-open queue drops
 *  SYNs), auto (cookies only while the syncache or a listener's half-open share is full),
 *  always (every SYN-ACK carries a cookie; nothing is kept). */
enum { SYNACK_SYNCOOKIES_OFF = 0, SYNACK_SYNCOOKIES_AUTO = 1, SYNACK_SYNCOOKIES_ALWAYS = 2 };

/** Stack configuration. Fill with synack_config_default() and change what you need. */
struct synack_config {
    uint32_t addr;                 /**< this stack's IPv4 address, host byte order */
    uint8_t secret[16];            /**< 128-bit secret (ISN, ports): from the OS's entropy */
    unsigned max_sockets;          /**< TCP+UDP sockets, listeners and connections, including
                                        half-open and TIME_WAIT ones (default 1024) */
    unsigned max_buffers;          /**< buffer pairs: connections past the handshake and UDP
                                        sockets at once (default 256; 0 = max_sockets) */
    unsigned max_timewait;         /**< TIME_WAIT connections at most (0: max_sockets / 2); past
                                        it, and whenever a new connection needs a slot, the
                                        oldest closed one is recycled early (Linux's
                                        tcp_max_tw_buckets bound; RFC 6191 and PAWS protect the
                                        4-tuple's next incarnation) */
    unsigned rcvbuf_bytes;         /**< per-connection receive buffer (default 64 KiB) */
    unsigned sndbuf_bytes;         /**< per-connection send buffer (default 64 KiB) */
    unsigned mtu;                  /**< link MTU (default 1500); MSS = mtu - 40 */
    unsigned tx_queue_frames;      /**< packets queued between synack_poll calls (default 512) */
    unsigned syn_backlog;          /**< half-open connections per listener (default 256) */
    int syncookies;                /**< SYNACK_SYNCOOKIES_OFF/AUTO/ALWAYS (default AUTO) */
    unsigned syncache_entries;     /**< half-open entries, all listeners (default 4096; 64 B each) */
    unsigned syncache_bucket_limit;/**< entries per hash bucket (default 16) */
    synack_time_us msl_us;         /**< maximum segment lifetime (default 30 s); TIME_WAIT = 2*MSL */
    synack_time_us rto_initial_us; /**< initial RTO (default 1 s, RFC 6298 2.1) */
    synack_time_us rto_min_us;     /**< minimum RTO (default 200 ms) */
    synack_time_us rto_max_us;     /**< maximum RTO (default 60 s) */
    synack_time_us delack_us;      /**< delayed-ACK timeout (default 40 ms, RFC 1122 4.2.3.2) */
    unsigned syn_retries;          /**< SYN retransmissions before ETIMEDOUT (default 6) */
    unsigned synack_retries;       /**< SYN-ACK retransmissions before reclaiming (default 5) */
    unsigned data_retries;         /**< data retransmissions before ETIMEDOUT (default 15); also
                                        unanswered zero-window probes */
    unsigned orphan_retries;       /**< the same, and zero-window probes answered or not, for a
                                        connection the user has closed (default 8, as Linux's
                                        tcp_orphan_retries): an orphan's life is bounded */
    synack_time_us fin_wait2_timeout_us; /**< orphaned FIN_WAIT_2 lifetime (default 60 s) */
    unsigned icmp_ratelimit_per_s; /**< ICMP errors sent per second (default 100, 0 = none) */
    unsigned challenge_ack_limit;  /**< RFC 5961 challenge ACKs per connection per second (10) */
    synack_time_us invalid_ratelimit_us; /**< at most one ACK per this interval per connection
                                        in reply to an out-of-window segment without data, or
                                        a SYN, or a PAWS failure (default 500 ms, as Linux's
                                        tcp_invalid_ratelimit; 0 = no limit) */
    unsigned rst_ratelimit_per_s;  /**< RSTs per second for segments that find no connection,
                                        all of them together (default 200, as FreeBSD's
                                        badport_bandlim; 0 = no limit) */
    unsigned prefix_len;           /**< prefix of addr on its link (0 = unknown): with 1..30,
                                        datagrams from the network or broadcast address are
                                        dropped (RFC 1122 3.2.1.3) */
    int accept_link_local;         /**< accept sources in 169.254/16 (default 0) */
    unsigned per_source_limit;     /**< connections a listener completes per source address
                                        at once (0: no limit, the default). Past it the final
                                        ACK is dropped and the half-open entry kept, as for
                                        admission control: one host cannot take every
                                        connection (slowloris). Counted in 4096 hashed buckets:
                                        a collision makes two sources share one limit */
    int accept_source_route;       /**< accept datagrams with LSRR/SSRR options (default 0,
                                        RFC 7126 4.3) */
    int window_scaling;            /**< offer RFC 7323 window scaling (default 1) */
    int timestamps;                /**< offer RFC 7323 timestamps (default 1) */
    struct synack_hooks hooks;
};

void synack_config_default(struct synack_config *cfg);

/** Allocates every pool the stack will use. Returns 0 or a negative SYNACK_E* code. */
int synack_stack_new(const struct synack_config *cfg, struct synack_stack **out);
void synack_stack_free(struct synack_stack *st);

/** Feeds one received IPv4 packet. Never fails: bad input is dropped and counted. */
void synack_input(struct synack_stack *st, synack_time_us now, const uint8_t *pkt, size_t len);

/** Receives each packet to send; the buffer is valid only during the call. */
typedef void (*synack_emit_fn)(void *ctx, const uint8_t *pkt, size_t len);
/** Runs due timers, sends what connections have pending, and emits queued packets. */
void synack_poll(struct synack_stack *st, synack_time_us now, synack_emit_fn emit, void *ctx);
/** Advances the stack's notion of now without polling: socket calls (connect, send...) use
 *  the time of the last synack_input()/synack_poll()/synack_set_now(). */
void synack_set_now(struct synack_stack *st, synack_time_us now);
/** The time at which synack_poll() must next be called (SYNACK_TIME_NEVER if none);
 *  a value <= now means "now". */
synack_time_us synack_poll_at(struct synack_stack *st);

/** Counters: one per event and per drop reason. */
#define SYNACK_COUNTERS(X) \
    X(ip_in, "IPv4 packets received") \
    X(ip_out, "IPv4 packets sent") \
    X(ip_drop_short, "dropped: shorter than an IPv4 header") \
    X(ip_drop_version, "dropped: not IPv4 or bad IHL") \
    X(ip_drop_len, "dropped: total length inconsistent with the packet") \
    X(ip_drop_checksum, "dropped: bad IPv4 header checksum") \
    X(ip_drop_fragment, "dropped: fragment (no reassembly)") \
    X(ip_drop_not_ours, "dropped: destination is not this stack") \
    X(ip_drop_bad_src, "dropped: source is not a unicast host (0/8, 127/8, 224/4, 240/4, the prefix's network or broadcast address, 169.254/16)") \
    X(ip_drop_own_src, "dropped: source is our own address (LAND)") \
    X(ip_drop_options, "dropped: malformed IP options, or a source route (RFC 7126)") \
    X(ip_drop_proto, "dropped: unknown protocol") \
    X(tx_drop_queue_full, "dropped on output: transmit queue full") \
    X(icmp_in, "ICMP messages received") \
    X(icmp_drop_malformed, "dropped: malformed or bad-checksum ICMP") \
    X(icmp_echo_replies, "ICMP echo replies sent") \
    X(icmp_unreach_sent, "ICMP port-unreachable sent") \
    X(icmp_unreach_ratelimited, "ICMP errors suppressed by the rate limit") \
    X(icmp_unreach_in, "ICMP destination-unreachable received") \
    X(udp_in, "UDP datagrams received") \
    X(udp_drop_malformed, "dropped: malformed or bad-checksum UDP") \
    X(udp_drop_no_port, "dropped: UDP to a closed port") \
    X(udp_drop_rcvbuf, "dropped: UDP socket queue full") \
    X(tcp_in, "TCP segments received") \
    X(tcp_out, "TCP segments sent") \
    X(tcp_drop_malformed, "dropped: malformed TCP header or options") \
    X(tcp_drop_checksum, "dropped: bad TCP checksum") \
    X(tcp_drop_no_conn, "dropped: no connection (RST sent unless the segment was a RST)") \
    X(tcp_drop_bad_flags, "dropped: invalid flag combination") \
    X(tcp_drop_out_of_window, "dropped: unacceptable sequence number") \
    X(tcp_drop_bad_ack, "dropped: unacceptable acknowledgment") \
    X(tcp_drop_listen_overflow, "dropped: SYN to a listener whose queues are full") \
    X(tcp_drop_no_memory, "dropped: no free connection") \
    X(tcp_admission_deferred, "final ACKs dropped, their half-open entry or cookie kept: no free slot or buffers") \
    X(tcp_source_limited, "final ACKs dropped, their half-open entry or cookie kept: the source has per_source_limit connections") \
    X(tcp_drop_rcvbuf, "bytes beyond the receive window trimmed") \
    X(tcp_drop_paws, "dropped: PAWS (old timestamp)") \
    X(tcp_rst_sent, "RST segments sent") \
    X(tcp_rst_in, "RST segments received") \
    X(tcp_rst_ignored, "RST ignored (out of window, or in TIME_WAIT per RFC 1337)") \
    X(tcp_challenge_acks, "RFC 5961 challenge ACKs sent") \
    X(tcp_challenge_acks_limited, "RFC 5961 challenge ACKs suppressed by the rate limit") \
    X(tcp_oow_acks_limited, "ACKs to out-of-window segments suppressed by the rate limit") \
    X(tcp_rst_ratelimited, "RSTs for segments without a connection suppressed by the rate limit") \
    X(tcp_timewait_recycled, "TIME_WAIT connections replaced by a new SYN (RFC 6191)") \
    X(tcp_timewait_overflow, "TIME_WAIT connections ended early: their bound was reached or a new connection needed the slot") \
    X(tcp_syn_in, "SYNs received on a listener") \
    X(tcp_syn_dropped, "SYNs dropped (queues full with cookies off, or accept queue full)") \
    X(tcp_syncache_added, "half-open connections entered in the syncache") \
    X(tcp_syncache_overflow, "SYNs that found the syncache, its bucket or the listener's share full") \
    X(tcp_syncookies_sent, "SYN-ACKs carrying a SYN cookie") \
    X(tcp_syncookies_ok, "final ACKs with a valid SYN cookie") \
    X(tcp_syncookies_bad_mac, "final ACKs whose cookie failed the MAC check") \
    X(tcp_syncookies_stale, "final ACKs with a cookie older than its lifetime") \
    X(tcp_synack_sent, "SYN-ACKs sent (first transmissions)") \
    X(tcp_synack_rexmit, "SYN-ACKs retransmitted") \
    X(tcp_half_open_expired, "half-open connections reclaimed after retries") \
    X(tcp_accepted, "connections completed on a listener") \
    X(tcp_connected, "active opens that reached ESTABLISHED") \
    X(tcp_rexmit, "segments retransmitted") \
    X(tcp_rexmit_timeouts, "retransmission timeouts") \
    X(tcp_fast_rexmit, "fast retransmits (three duplicate ACKs)") \
    X(tcp_tlp_probes, "tail loss probes sent (RFC 8985)") \
    X(tcp_tfo_syn_data, "Fast Open SYNs sent with data and a cookie (RFC 7413)") \
    X(tcp_tfo_data_acked, "Fast Open SYN data the server acknowledged in its SYN-ACK") \
    X(tcp_tfo_data_refused, "Fast Open SYN data not acknowledged (sent again after the handshake)") \
    X(tcp_spurious_rexmit, "retransmissions found spurious (RFC 3522) and undone") \
    X(tcp_zero_window_probes, "zero-window probes sent") \
    X(tcp_dup_segments, "segments (or parts) received twice") \
    X(tcp_ooo_segments, "out-of-order segments held for reassembly") \
    X(tcp_ooo_drop, "out-of-order segments not held (reassembly full)") \
    X(tcp_conn_timeouts, "connections aborted by a retransmission timeout") \
    X(tcp_persist_timeouts, "connections aborted while probing a zero window (orphan bound, user timeout, silent peer)") \
    X(tcp_timewait_reacks, "TIME_WAIT re-ACKs of a retransmitted FIN") \
    X(tcp_finwait2_timeouts, "orphaned FIN_WAIT_2 connections closed by timeout") \
    X(tcp_abort_on_data, "connections reset: data arrived after the user closed (RFC 1122 4.2.2.13)") \
    X(eth_in, "Ethernet frames received") \
    X(eth_out, "Ethernet frames sent") \
    X(eth_drop_short, "dropped: frame shorter than an Ethernet header") \
    X(eth_drop_bad_if, "dropped: frame on an unknown interface index") \
    X(eth_drop_bad_src, "dropped: multicast, broadcast or our own source MAC") \
    X(eth_drop_not_ours, "dropped: destination MAC neither ours nor broadcast") \
    X(eth_drop_type, "dropped: EtherType neither IPv4 nor ARP (IPv6, VLAN tags, ...)") \
    X(eth_drop_bcast_ip, "dropped: unicast IPv4 in a link-layer broadcast (RFC 1122 3.3.6)") \
    X(eth_drop_no_route, "dropped on output: destination off-link and no gateway") \
    X(arp_in, "ARP messages received") \
    X(arp_drop_malformed, "dropped: malformed ARP, or a sender that is no on-link unicast host") \
    X(arp_drop_not_ours, "ARP for another address (only an entry we hold is updated)") \
    X(arp_drop_conflict, "dropped: ARP whose sender claims our address or MAC") \
    X(arp_requests_sent, "ARP requests sent (announcements, resolution, unicast polls)") \
    X(arp_replies_sent, "ARP replies sent") \
    X(arp_resolved, "neighbour entries resolved or changed") \
    X(arp_unresolved_drop, "packets dropped: their next hop never resolved") \
    X(arp_pending_drop, "packets dropped: resolution queue full") \
    X(arp_ctl_drop, "ARP messages not sent: control queue full") \
    X(neigh_evicted, "neighbour entries replaced because the cache was full")

enum synack_counter {
#define SYNACK_X_ENUM(name, doc) SYNACK_C_##name,
    SYNACK_COUNTERS(SYNACK_X_ENUM)
#undef SYNACK_X_ENUM
    SYNACK_NCOUNTERS
};
uint64_t synack_counter_get(const struct synack_stack *st, enum synack_counter c);
const char *synack_counter_name(enum synack_counter c);
const char *synack_counter_doc(enum synack_counter c);

/** Bytes and objects in use in the stack's pools (for leak checks and flood tests). */
struct synack_mem_stats {
    unsigned sockets_in_use;       /**< socket/connection slots in use */
    unsigned sockets_max;
    unsigned buffers_in_use;       /**< buffer pairs in use */
    unsigned buffers_max;
    unsigned timers_armed;         /**< connections with a timer armed */
    unsigned tx_queued;            /**< packets waiting for synack_poll() */
    unsigned half_open;            /**< syncache entries in use */
    unsigned timewait;             /**< connections in TIME_WAIT */
    size_t bytes_reserved;         /**< everything allocated at synack_stack_new() */
};
void synack_mem_stats(const struct synack_stack *st, struct synack_mem_stats *out);

/** Formats a host-order IPv4 address into buf (at least 16 bytes); returns buf. */
char *synack_ip_str(uint32_t addr, char *buf);
/** Parses dotted-quad text; returns 0 or -1. */
int synack_ip_parse(const char *s, uint32_t *addr);

#ifdef __cplusplus
}
#endif
#endif

/* SipHash-2-4 (Aumasson & Bernstein, 2012): a keyed 64-bit PRF with a 128-bit key.
 * Used for RFC 6528 ISNs, ephemeral ports and (issue 4) SYN cookies. */
#ifndef SYNACK_CORE_SIPHASH_H
#define SYNACK_CORE_SIPHASH_H
#include <stddef.h>
#include <stdint.h>
uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);
/* RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), with M a
 * timer that ticks every 4 microseconds and F = SipHash-2-4 over the 12-byte 4-tuple
 * (addresses and ports in network byte order: laddr, raddr, lport, rport), truncated to 32 bits. */
uint32_t tcp_isn_generate(const uint8_t secret[16], uint32_t laddr, uint16_t lport,
                          uint32_t raddr, uint16_t rport, int64_t now_us);
#endif

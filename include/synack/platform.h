/**
 * @file platform.h
 * The only place synack reads the OS clock or entropy, or blocks (src/platform/).
 */
#ifndef SYNACK_PLATFORM_H
#define SYNACK_PLATFORM_H
#include <stddef.h>
#include "synack.h"

/** CLOCK_MONOTONIC in microseconds. */
synack_time_us synack_platform_now_us(void);
/** Fills buf with len bytes from the OS's entropy (getrandom); 0 or -1 with errno set. */
int synack_platform_random(void *buf, size_t len);
#endif

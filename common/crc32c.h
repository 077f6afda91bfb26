/* crc32c.h: CRC-32C (Castagnoli), the checksum of WAL records and snapshots. */
#ifndef CM_CRC32C_H
#define CM_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc over data; start with crc = 0. cm_crc32c(0, "123456789", 9) == 0xe3069283. */
uint32_t cm_crc32c(uint32_t crc, const void *data, size_t len);

#endif

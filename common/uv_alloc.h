/* uv_alloc.h: the read buffer allocator the loop's stream readers share. */
#ifndef CM_UV_ALLOC_H
#define CM_UV_ALLOC_H

#include <uv.h>

/*
 * A uv_alloc_cb: a malloc'd buffer of the suggested size (len 0 when out of
 * memory, which libuv reports to the read callback as UV_ENOBUFS). The read
 * callback owns buf->base and frees it.
 */
void cm_uv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

#endif

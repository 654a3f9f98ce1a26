/* netpulse-huge-pages.h — memory for large buffers and slabs, in
 * transparent huge pages where the kernel gives them.
 *
 * Why: the helper's first tick at 100,000 connections writes ~35 MiB of
 * records and takes in ~110 MiB of flows.  In 4 KiB pages that is ~35,000
 * page faults; on the virtual machines measured (bench/RESULTS.md) one
 * costs ~12 µs, more than the work done in the page.  In 2 MiB pages it
 * is ~70 faults.  With THP "never" (or no THP at all) the mapping is
 * ordinary memory and nothing else changes.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define NETPULSE_HUGE_PAGE_SIZE ((gsize) 2 * 1024 * 1024)

/* A zeroed mapping of at least @size bytes, aligned to
 * NETPULSE_HUGE_PAGE_SIZE; its length (a multiple of that) in
 * *@capacity.  Aborts when out of memory, as g_malloc() does. */
gpointer netpulse_huge_pages_alloc   (gsize     size,
                                      gsize    *capacity);
/* Grows (or moves, never copying) the mapping @data of *@capacity bytes
 * to hold @size; the bytes already there stay. */
gpointer netpulse_huge_pages_realloc (gpointer  data,
                                      gsize     size,
                                      gsize    *capacity);
void     netpulse_huge_pages_free    (gpointer  data,
                                      gsize     capacity);
/* A GBytes of the first @size bytes of @data, which it unmaps when freed. */
GBytes  *netpulse_huge_pages_bytes   (gpointer  data,
                                      gsize     size,
                                      gsize     capacity);

G_END_DECLS

/* netpulse-huge-pages.c — mappings aligned for transparent huge pages.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE             /* mremap() */
#define G_LOG_DOMAIN "netpulse-memory"

#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "netpulse-huge-pages.h"

static gsize
round_up (gsize size)
{
  return (MAX (size, 1) + NETPULSE_HUGE_PAGE_SIZE - 1) & ~(NETPULSE_HUGE_PAGE_SIZE - 1);
}

static void G_GNUC_NORETURN
out_of_memory (gsize size)
{
  g_error ("%s: failed to map %" G_GSIZE_FORMAT " bytes: %s", G_STRLOC, size, g_strerror (errno));
}

/* Only a 2 MiB-aligned range can be mapped by a huge page; the kernel
 * does not align every mapping, so map one page more and trim. */
gpointer
netpulse_huge_pages_alloc (gsize  size,
                           gsize *capacity)
{
  gsize length = round_up (size);
  gsize mapped = length + NETPULSE_HUGE_PAGE_SIZE;
  guint8 *start = mmap (NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  guint8 *aligned;
  gsize head;

  if (start == MAP_FAILED)
    out_of_memory (mapped);
  aligned = (guint8 *) (((uintptr_t) start + NETPULSE_HUGE_PAGE_SIZE - 1) & ~(uintptr_t) (NETPULSE_HUGE_PAGE_SIZE - 1));
  head = (gsize) (aligned - start);
  if (head > 0)
    munmap (start, head);
  munmap (aligned + length, mapped - head - length);
  /* Advice only: EINVAL without THP in the kernel. */
  (void) madvise (aligned, length, MADV_HUGEPAGE);
  *capacity = length;
  return aligned;
}

gpointer
netpulse_huge_pages_realloc (gpointer  data,
                             gsize     size,
                             gsize    *capacity)
{
  gsize length = round_up (size);
  gpointer moved;

  if (length <= *capacity)
    return data;
  moved = mremap (data, *capacity, length, MREMAP_MAYMOVE);
  if (moved == MAP_FAILED)
    out_of_memory (length);
  (void) madvise (moved, length, MADV_HUGEPAGE);
  *capacity = length;
  return moved;
}

void
netpulse_huge_pages_free (gpointer data,
                          gsize    capacity)
{
  if (data != NULL)
    munmap (data, capacity);
}

typedef struct {
  gpointer data;
  gsize    capacity;
} Mapping;

static void
mapping_free (gpointer user_data)
{
  Mapping *mapping = user_data;

  netpulse_huge_pages_free (mapping->data, mapping->capacity);
  g_free (mapping);
}

GBytes *
netpulse_huge_pages_bytes (gpointer data,
                           gsize    size,
                           gsize    capacity)
{
  Mapping *mapping = g_new (Mapping, 1);

  g_return_val_if_fail (size <= capacity, NULL);

  mapping->data = data;
  mapping->capacity = capacity;
  return g_bytes_new_with_free_func (data, size, mapping_free, mapping);
}

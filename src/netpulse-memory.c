/* netpulse-memory.c — gives freed heap back to the system.
 *
 * A large update (the first table of 10,000 connections, a recording read
 * at start) allocates tens of megabytes for a moment: the message, its
 * records, the rows' first texts.  glibc's malloc keeps what was freed in
 * the middle of its heap for later and returns only the top, so the app
 * stayed 90 MiB over what it used (281 → 192 MiB after malloc_trim() at
 * 10,000 rows).  After an update, when the free part of the heap is large
 * against what is in use, malloc_trim() hands those pages back (it
 * releases whole free pages anywhere in the heap, at the cost of one walk
 * over the free chunks).
 *
 * Only when the free part grew since the last trim: what malloc counts as
 * free stays free after a trim (the pages go, the chunks stay), and a
 * trim at every update gave back the pages that the next frame's image
 * surface and the next update's arrays were about to take again — a
 * page fault and a zeroed page each (page faults were 10 % of the CPU of
 * an update at 10,000 rows in perf).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include "netpulse-memory.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif

/* Free heap worth a trim: more than this, and more than a quarter of what
 * is in use (so that a steady heap that churns is left alone). */
#define TRIM_MIN_FREE_BYTES (16 * 1024 * 1024)

/* Returns whether it trimmed; @released (may be NULL): the free bytes
 * that were in the heap before.  @trimmed_free is the caller's: the free
 * bytes at its last trim (0 at first), updated here. */
gboolean
netpulse_memory_trim_if_worth (gsize *trimmed_free,
                               gsize *released)
{
#ifdef HAVE_MALLOC_TRIM
  struct mallinfo2 info = mallinfo2 ();

  g_return_val_if_fail (trimmed_free != NULL, FALSE);

  if (released != NULL)
    *released = 0;
  /* Reused since: the next trim is due when it has grown again. */
  if (info.fordblks < *trimmed_free)
    *trimmed_free = info.fordblks;
  if (info.fordblks < TRIM_MIN_FREE_BYTES || info.fordblks < info.uordblks / 4 ||
      info.fordblks < *trimmed_free + TRIM_MIN_FREE_BYTES)
    return FALSE;
  malloc_trim (0);
  *trimmed_free = info.fordblks;
  if (released != NULL)
    *released = info.fordblks;
  return TRUE;
#else
  if (released != NULL)
    *released = 0;
  return FALSE;
#endif
}

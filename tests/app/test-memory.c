/* test-memory.c: when the app gives freed heap back (netpulse-memory.c),
 * with glibc's real malloc.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <glib.h>
#include <string.h>

#include "netpulse-memory.h"

#define CHUNKS 640
#define CHUNK_BYTES (64 * 1024)   /* below the mmap threshold: heap chunks */

#if !defined (__SANITIZE_ADDRESS__) && defined (HAVE_MALLOC_TRIM)
#define GLIBC_HEAP 1
#endif

#ifdef GLIBC_HEAP
/* Allocates @n chunks (touching them), keeps one in @keep_every so that
 * the freed ones stay in the middle of the heap, frees the others. */
static void
churn (GPtrArray *kept,
       guint      n,
       guint      keep_every)
{
  g_autoptr(GPtrArray) chunks = g_ptr_array_new ();

  for (guint i = 0; i < n; i++)
    {
      char *chunk = g_malloc (CHUNK_BYTES);

      memset (chunk, 0x5a, CHUNK_BYTES);
      g_ptr_array_add (chunks, chunk);
    }
  for (guint i = 0; i < n; i++)
    {
      if (i % keep_every == 0)
        g_ptr_array_add (kept, chunks->pdata[i]);
      else
        g_free (chunks->pdata[i]);
    }
}
#endif

/* A large free part is given back once; the same free heap, reused and
 * freed again by the next updates, is not given back again (its pages
 * would be faulted in again at once); more garbage is. */
static void
test_trim_when_grown (void)
{
#ifdef GLIBC_HEAP
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  gsize trimmed_free = 0, released = 0;

  churn (kept, CHUNKS, 8);                 /* 40 MiB, 35 of them freed */
  g_assert_true (netpulse_memory_trim_if_worth (&trimmed_free, &released));
  g_assert_cmpuint (released, >=, 30 * 1024 * 1024);
  g_assert_cmpuint (trimmed_free, ==, released);

  /* The next updates: as much allocated and freed again, in that heap. */
  for (guint update = 0; update < 5; update++)
    {
      g_autoptr(GPtrArray) transient = g_ptr_array_new_with_free_func (g_free);

      churn (transient, 64, 1);            /* 4 MiB in use for a moment */
      g_clear_pointer (&transient, g_ptr_array_unref);
      g_assert_false (netpulse_memory_trim_if_worth (&trimmed_free, &released));
      g_assert_cmpuint (released, ==, 0);
    }

  /* The free heap taken for good (more rows), then new garbage: given
   * back again. */
  churn (kept, CHUNKS, 1);
  g_assert_false (netpulse_memory_trim_if_worth (&trimmed_free, &released));
  g_assert_cmpuint (trimmed_free, <, 16 * 1024 * 1024);
  churn (kept, CHUNKS, 8);
  g_assert_true (netpulse_memory_trim_if_worth (&trimmed_free, &released));
  g_assert_cmpuint (released, >=, 30 * 1024 * 1024);
#elif defined (__SANITIZE_ADDRESS__)
  g_test_skip ("AddressSanitizer has a malloc of its own: glibc's heap is not the one used");
#else
  g_test_skip ("no malloc_trim() in this C library");
#endif
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/memory/trim-when-grown", test_trim_when_grown);
  return g_test_run ();
}

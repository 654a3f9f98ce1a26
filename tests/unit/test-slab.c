/* test-slab.c — NetpulseSlab: zeroed, aligned, distinct objects across
 * chunks; released ones come back zeroed; an emptied chunk is unmapped,
 * the last one kept.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "netpulse-huge-pages.h"
#include "netpulse-slab.h"

#define OBJECT_SIZE 1100   /* about a flow entry's */

static gboolean
is_zero (const guint8 *p,
         gsize         size)
{
  for (gsize i = 0; i < size; i++)
    if (p[i] != 0)
      return FALSE;
  return TRUE;
}

static void
assert_chunks (NetpulseSlab *slab,
               guint         n)
{
#ifndef NETPULSE_SLAB_USES_MALLOC
  g_assert_cmpuint (netpulse_slab_get_n_chunks (slab), ==, n);
#else
  g_assert_cmpuint (netpulse_slab_get_n_chunks (slab), ==, 0);
#endif
}

static void
test_alloc_release (void)
{
  g_autoptr(NetpulseSlab) slab = netpulse_slab_new (OBJECT_SIZE);
  /* Objects of 1,104 bytes (rounded to 16): 1,899 in a 2 MiB chunk after
   * its header; 5,000 take three chunks. */
  const guint n = 5000;
  g_autofree guint8 **objects = g_new0 (guint8 *, n);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < n; i++)
    {
      objects[i] = netpulse_slab_alloc0 (slab);
      g_assert_nonnull (objects[i]);
      g_assert_cmpuint ((uintptr_t) objects[i] % 16, ==, 0);
      g_assert_true (is_zero (objects[i], OBJECT_SIZE));
      g_assert_true (g_hash_table_add (seen, objects[i]));
      memset (objects[i], 0xa5, OBJECT_SIZE);
    }
  /* No two overlap: each still holds its own pattern and its index. */
  for (guint i = 0; i < n; i++)
    memcpy (objects[i], &i, sizeof i);
  for (guint i = 0; i < n; i++)
    {
      guint value;

      memcpy (&value, objects[i], sizeof value);
      g_assert_cmpuint (value, ==, i);
      g_assert_cmpuint (objects[i][OBJECT_SIZE - 1], ==, 0xa5);
    }
  g_assert_cmpuint (netpulse_slab_get_n_live (slab), ==, n);
  assert_chunks (slab, 3);

  /* Released and taken again: zeroed, even though it was written. */
  netpulse_slab_release (slab, objects[10]);
  objects[10] = netpulse_slab_alloc0 (slab);
  g_assert_true (is_zero (objects[10], OBJECT_SIZE));
  assert_chunks (slab, 3);

  /* Every object released: the chunks go back but one. */
  for (guint i = 0; i < n; i++)
    netpulse_slab_release (slab, objects[i]);
  g_assert_cmpuint (netpulse_slab_get_n_live (slab), ==, 0);
  assert_chunks (slab, 1);

  /* And fill again from there. */
  for (guint i = 0; i < n; i++)
    {
      objects[i] = netpulse_slab_alloc0 (slab);
      g_assert_true (is_zero (objects[i], OBJECT_SIZE));
    }
  assert_chunks (slab, 3);
  for (guint i = 0; i < n; i++)
    netpulse_slab_release (slab, objects[i]);
}

static void
test_release_in_any_order (void)
{
  g_autoptr(NetpulseSlab) slab = netpulse_slab_new (OBJECT_SIZE);
  const guint n = 4000;
  g_autofree gpointer *objects = g_new0 (gpointer, n);

  for (guint i = 0; i < n; i++)
    objects[i] = netpulse_slab_alloc0 (slab);
  /* Every other one: each chunk keeps live objects. */
  for (guint i = 0; i < n; i += 2)
    netpulse_slab_release (slab, g_steal_pointer (&objects[i]));
  assert_chunks (slab, 3);
  g_assert_cmpuint (netpulse_slab_get_n_live (slab), ==, n / 2);
  /* Refilled from the holes, not from a new chunk. */
  for (guint i = 0; i < n; i += 2)
    objects[i] = netpulse_slab_alloc0 (slab);
  assert_chunks (slab, 3);
  /* Backwards. */
  for (guint i = n; i-- > 0;)
    netpulse_slab_release (slab, objects[i]);
  assert_chunks (slab, 1);
}

static void
test_free_with_live_objects (void)
{
  NetpulseSlab *slab = netpulse_slab_new (64);

#ifdef NETPULSE_SLAB_USES_MALLOC
  g_test_skip ("objects are g_malloc0()'s under AddressSanitizer: freeing the slab leaks them");
  netpulse_slab_free (slab);
  return;
#endif
  for (guint i = 0; i < 100000; i++)
    netpulse_slab_alloc0 (slab);
  /* 100,000 × 64 bytes: four chunks, all unmapped here. */
  assert_chunks (slab, 4);
  netpulse_slab_free (slab);
}

static void
test_huge_pages_realloc_keeps_bytes (void)
{
  gsize capacity;
  guint8 *data = netpulse_huge_pages_alloc (100, &capacity);

  g_assert_cmpuint (capacity, ==, NETPULSE_HUGE_PAGE_SIZE);
  g_assert_cmpuint ((uintptr_t) data % NETPULSE_HUGE_PAGE_SIZE, ==, 0);
  g_assert_true (is_zero (data, capacity));
  for (gsize i = 0; i < capacity; i += 4096)
    data[i] = (guint8) (i / 4096);
  data = netpulse_huge_pages_realloc (data, 3 * NETPULSE_HUGE_PAGE_SIZE + 1, &capacity);
  g_assert_cmpuint (capacity, ==, 4 * NETPULSE_HUGE_PAGE_SIZE);
  for (gsize i = 0; i < NETPULSE_HUGE_PAGE_SIZE; i += 4096)
    g_assert_cmpuint (data[i], ==, (guint8) (i / 4096));
  g_assert_true (is_zero (data + NETPULSE_HUGE_PAGE_SIZE, capacity - NETPULSE_HUGE_PAGE_SIZE));
  netpulse_huge_pages_free (data, capacity);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/slab/alloc-release", test_alloc_release);
  g_test_add_func ("/slab/release-in-any-order", test_release_in_any_order);
  g_test_add_func ("/slab/free-with-live-objects", test_free_with_live_objects);
  g_test_add_func ("/slab/huge-pages-realloc-keeps-bytes", test_huge_pages_realloc_keeps_bytes);

  return g_test_run ();
}

/* netpulse-slab.c — fixed-size objects carved out of 2 MiB chunks.
 *
 * A chunk is aligned to its size, so an object's chunk is its address
 * with the low bits cleared.  Its header counts the live objects and
 * holds its own free list (objects released to it) and the start of the
 * part never handed out (so that a new chunk is not touched, page by
 * page, before it is used).  Chunks with room are on a list; a chunk
 * whose last object is released is unmapped, unless it is the only one.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-slab"

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "netpulse-huge-pages.h"
#include "netpulse-slab.h"

#define OBJECT_ALIGNMENT 16

typedef struct _FreeObject FreeObject;
struct _FreeObject
{
  FreeObject *next;
};

typedef struct {
  GList       link;          /* in the slab's chunks with room */
  GList       all_link;      /* in all its chunks */
  FreeObject *free_objects;
  guint8     *unused;        /* first byte never handed out */
  guint8     *end;
  guint       n_live;
} Chunk;

struct _NetpulseSlab
{
  gsize  object_size;
  GQueue with_room;          /* Chunk *, by their link */
  GQueue all;                /* Chunk *, by their all_link */
  gsize  n_live;
};

NetpulseSlab *
netpulse_slab_new (gsize object_size)
{
  NetpulseSlab *self = g_new0 (NetpulseSlab, 1);

  self->object_size = MAX ((object_size + OBJECT_ALIGNMENT - 1) & ~(gsize) (OBJECT_ALIGNMENT - 1),
                           sizeof (FreeObject));
  g_return_val_if_fail (self->object_size * 4 < NETPULSE_HUGE_PAGE_SIZE, NULL);
  g_queue_init (&self->with_room);
  g_queue_init (&self->all);
  return self;
}

static Chunk *
chunk_of (gpointer object)
{
  return (Chunk *) ((uintptr_t) object & ~(uintptr_t) (NETPULSE_HUGE_PAGE_SIZE - 1));
}

static Chunk *
chunk_new (NetpulseSlab *self)
{
  gsize capacity;
  Chunk *chunk = netpulse_huge_pages_alloc (NETPULSE_HUGE_PAGE_SIZE, &capacity);

  g_assert (capacity == NETPULSE_HUGE_PAGE_SIZE);
  chunk->link.data = chunk;
  chunk->all_link.data = chunk;
  chunk->unused = (guint8 *) chunk + ((sizeof *chunk + OBJECT_ALIGNMENT - 1) & ~(gsize) (OBJECT_ALIGNMENT - 1));
  chunk->end = (guint8 *) chunk + NETPULSE_HUGE_PAGE_SIZE;
  g_queue_push_head_link (&self->with_room, &chunk->link);
  g_queue_push_tail_link (&self->all, &chunk->all_link);
  return chunk;
}

static gboolean
chunk_has_room (NetpulseSlab *self,
                Chunk        *chunk)
{
  return chunk->free_objects != NULL || (gsize) (chunk->end - chunk->unused) >= self->object_size;
}

gpointer
netpulse_slab_alloc0 (NetpulseSlab *self)
{
  Chunk *chunk;
  gpointer object;

  g_return_val_if_fail (self != NULL, NULL);

  self->n_live++;
#ifdef NETPULSE_SLAB_USES_MALLOC
  return g_malloc0 (self->object_size);
#endif
  chunk = self->with_room.head != NULL ? self->with_room.head->data : chunk_new (self);
  if (chunk->free_objects != NULL)
    {
      object = chunk->free_objects;
      chunk->free_objects = chunk->free_objects->next;
      memset (object, 0, self->object_size);
    }
  else
    {
      /* Never handed out: still zero from the mapping. */
      object = chunk->unused;
      chunk->unused += self->object_size;
    }
  chunk->n_live++;
  if (!chunk_has_room (self, chunk))
    g_queue_unlink (&self->with_room, &chunk->link);
  return object;
}

void
netpulse_slab_release (NetpulseSlab *self,
                       gpointer      object)
{
  Chunk *chunk;
  FreeObject *freed = object;
  gboolean had_room;

  g_return_if_fail (self != NULL);
  if (object == NULL)
    return;

  g_assert (self->n_live > 0);
  self->n_live--;
#ifdef NETPULSE_SLAB_USES_MALLOC
  g_free (object);
  return;
#endif
  chunk = chunk_of (object);
  had_room = chunk_has_room (self, chunk);
  freed->next = chunk->free_objects;
  chunk->free_objects = freed;
  g_assert (chunk->n_live > 0);
  chunk->n_live--;
  if (!had_room)
    g_queue_push_tail_link (&self->with_room, &chunk->link);
  if (chunk->n_live == 0 && self->all.length > 1)
    {
      g_queue_unlink (&self->with_room, &chunk->link);
      g_queue_unlink (&self->all, &chunk->all_link);
      netpulse_huge_pages_free (chunk, NETPULSE_HUGE_PAGE_SIZE);
    }
}

gsize
netpulse_slab_get_n_live (NetpulseSlab *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_live;
}

guint
netpulse_slab_get_n_chunks (NetpulseSlab *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->all.length;
}

void
netpulse_slab_free (NetpulseSlab *self)
{
  Chunk *chunk;

  if (self == NULL)
    return;
  while ((chunk = g_queue_peek_head (&self->all)) != NULL)
    {
      g_queue_unlink (&self->all, &chunk->all_link);
      netpulse_huge_pages_free (chunk, NETPULSE_HUGE_PAGE_SIZE);
    }
  g_free (self);
}

/* netpulse-row-slot.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-row-slot"

#include "config.h"

#include "netpulse-row-slot.h"

struct _NetpulseRowSlot
{
  GObject      parent_instance;

  GObject     *item;
  /* @item's row: @item itself (borrowed), or the tree row's item (held) */
  NetpulseRow *row;
  /* Handlers of "moved": most slots have none (only the ~200 rows GTK
   * keeps bound are watched), and emitting to nobody for each of 10,000
   * slots at each re-sort was most of moving them. */
  guint        n_watchers;
};

G_DEFINE_FINAL_TYPE (NetpulseRowSlot, netpulse_row_slot, G_TYPE_OBJECT)

enum {
  MOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
release_item (NetpulseRowSlot *self)
{
  if (self->row != (gpointer) self->item)
    g_clear_object (&self->row);
  self->row = NULL;
  g_clear_object (&self->item);
}

static void
netpulse_row_slot_dispose (GObject *object)
{
  NetpulseRowSlot *self = NETPULSE_ROW_SLOT (object);

  release_item (self);

  G_OBJECT_CLASS (netpulse_row_slot_parent_class)->dispose (object);
}

static void
netpulse_row_slot_class_init (NetpulseRowSlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_row_slot_dispose;

  /* A signal of its own, not a property's notify: tens of thousands of
   * slots move at a re-sort, and only the ~200 that GTK keeps bound have
   * a handler. */
  signals[MOVED] = g_signal_new ("moved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
netpulse_row_slot_init (NetpulseRowSlot *self)
{
}

static void
set_item (NetpulseRowSlot *self,
          gpointer         item)
{
  release_item (self);
  self->item = item;
  if (NETPULSE_IS_ROW (item))
    self->row = item;
  else if (GTK_IS_TREE_LIST_ROW (item))
    self->row = gtk_tree_list_row_get_item (GTK_TREE_LIST_ROW (item));
}

NetpulseRowSlot *
netpulse_row_slot_new (gpointer item)
{
  NetpulseRowSlot *self;

  g_return_val_if_fail (G_IS_OBJECT (item), NULL);

  self = g_object_new (NETPULSE_TYPE_ROW_SLOT, NULL);
  set_item (self, item);
  return self;
}

gpointer
netpulse_row_slot_get_item (NetpulseRowSlot *self)
{
  g_return_val_if_fail (NETPULSE_IS_ROW_SLOT (self), NULL);

  return self->item;
}

NetpulseRow *
netpulse_row_slot_get_row (NetpulseRowSlot *self)
{
  g_return_val_if_fail (NETPULSE_IS_ROW_SLOT (self), NULL);

  return self->row;
}

void
netpulse_row_slot_take_item (NetpulseRowSlot *self,
                             gpointer         item)
{
  g_return_if_fail (NETPULSE_IS_ROW_SLOT (self));
  g_return_if_fail (G_IS_OBJECT (item));

  if (item == self->item)
    {
      g_object_unref (item);
      return;
    }
  set_item (self, item);
  if (self->n_watchers > 0)
    g_signal_emit (self, signals[MOVED], 0);
}

gulong
netpulse_row_slot_watch (NetpulseRowSlot *self,
                         GCallback        callback,
                         gpointer         data)
{
  g_return_val_if_fail (NETPULSE_IS_ROW_SLOT (self), 0);
  g_return_val_if_fail (callback != NULL, 0);

  self->n_watchers++;
  return g_signal_connect_swapped (self, "moved", callback, data);
}

void
netpulse_row_slot_unwatch (NetpulseRowSlot *self,
                           gulong          *handler_id)
{
  g_return_if_fail (NETPULSE_IS_ROW_SLOT (self));
  g_return_if_fail (handler_id != NULL);

  if (*handler_id == 0)
    return;
  g_clear_signal_handler (handler_id, self);
  self->n_watchers--;
}

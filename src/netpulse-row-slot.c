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
  NetpulseRow *row;     /* @item's row: @item itself, or the tree row's item */
};

G_DEFINE_FINAL_TYPE (NetpulseRowSlot, netpulse_row_slot, G_TYPE_OBJECT)

enum {
  MOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
netpulse_row_slot_dispose (GObject *object)
{
  NetpulseRowSlot *self = NETPULSE_ROW_SLOT (object);

  g_clear_object (&self->row);
  g_clear_object (&self->item);

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
  g_clear_object (&self->row);
  g_clear_object (&self->item);
  self->item = item;
  if (GTK_IS_TREE_LIST_ROW (item))
    self->row = gtk_tree_list_row_get_item (GTK_TREE_LIST_ROW (item));
  else if (NETPULSE_IS_ROW (item))
    self->row = g_object_ref (item);
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
  g_signal_emit (self, signals[MOVED], 0);
}

/* netpulse-row-slots.c
 *
 * The order of what happens when the rows change, so that a selection
 * moved on "rows-moved" never sees a position that is not there:
 *   1. the slots up to the old end take their new items ("moved");
 *   2. slots for added items are appended (items-changed);
 *   3. "rows-moved": every position shows its item;
 *   4. slots beyond the new end go (items-changed).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-row-slots"

#include "config.h"

#include "netpulse-row-slots.h"

struct _NetpulseRowSlots
{
  GObject     parent_instance;

  GListModel *items;    /* NetpulseRow or GtkTreeListRow */
  GPtrArray  *slots;    /* NetpulseRowSlot, owned */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (NetpulseRowSlots, netpulse_row_slots, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  ROWS_MOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GType
get_item_type (GListModel *model)
{
  return NETPULSE_TYPE_ROW_SLOT;
}

static guint
get_n_items (GListModel *model)
{
  return NETPULSE_ROW_SLOTS (model)->slots->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  NetpulseRowSlots *self = NETPULSE_ROW_SLOTS (model);

  if (position >= self->slots->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->slots, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/* Slots [@from, @to) show the items at their positions now. */
static void
move_items_into (NetpulseRowSlots *self,
                 guint             from,
                 guint             to)
{
  for (guint i = from; i < to; i++)
    netpulse_row_slot_take_item (g_ptr_array_index (self->slots, i), g_list_model_get_item (self->items, i));
}

static void
append_slots (NetpulseRowSlots *self,
              guint             new_n)
{
  guint old_n = self->slots->len;

  for (guint i = old_n; i < new_n; i++)
    g_ptr_array_add (self->slots, netpulse_row_slot_new (g_list_model_get_item (self->items, i)));
  g_list_model_items_changed (G_LIST_MODEL (self), old_n, 0, new_n - old_n);
}

static void
on_items_changed (NetpulseRowSlots *self,
                 guint             position,
                 guint             removed,
                 guint             added)
{
  guint old_n = self->slots->len;
  guint new_n = g_list_model_get_n_items (self->items);
  /* As many removed as added: only that range moved.  Otherwise every
   * item after @position shifted. */
  guint end = removed == added ? position + added : new_n;

  move_items_into (self, position, MIN (end, old_n));
  if (new_n > old_n)
    append_slots (self, new_n);
  g_signal_emit (self, signals[ROWS_MOVED], 0);
  if (new_n < old_n)
    {
      g_ptr_array_remove_range (self->slots, new_n, old_n - new_n);
      g_list_model_items_changed (G_LIST_MODEL (self), new_n, old_n - new_n, 0);
    }
}

static void
netpulse_row_slots_dispose (GObject *object)
{
  NetpulseRowSlots *self = NETPULSE_ROW_SLOTS (object);

  if (self->items != NULL)
    g_signal_handlers_disconnect_by_data (self->items, self);
  g_clear_object (&self->items);
  g_ptr_array_set_size (self->slots, 0);

  G_OBJECT_CLASS (netpulse_row_slots_parent_class)->dispose (object);
}

static void
netpulse_row_slots_finalize (GObject *object)
{
  NetpulseRowSlots *self = NETPULSE_ROW_SLOTS (object);

  g_ptr_array_unref (self->slots);

  G_OBJECT_CLASS (netpulse_row_slots_parent_class)->finalize (object);
}

static void
netpulse_row_slots_class_init (NetpulseRowSlotsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = netpulse_row_slots_dispose;
  object_class->finalize = netpulse_row_slots_finalize;

  /* After the rows changed: every position shows its row, and positions
   * that are going (at the end) are still there. */
  signals[ROWS_MOVED] = g_signal_new ("rows-moved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
netpulse_row_slots_init (NetpulseRowSlots *self)
{
  self->slots = g_ptr_array_new_with_free_func (g_object_unref);
}

NetpulseRowSlots *
netpulse_row_slots_new (GListModel *items)
{
  NetpulseRowSlots *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (items), NULL);

  self = g_object_new (NETPULSE_TYPE_ROW_SLOTS, NULL);
  self->items = g_object_ref (items);
  g_signal_connect_object (items, "items-changed", G_CALLBACK (on_items_changed), self, G_CONNECT_SWAPPED);
  append_slots (self, g_list_model_get_n_items (items));
  return self;
}

guint
netpulse_row_slots_find (NetpulseRowSlots *self,
                         NetpulseRow      *row)
{
  g_return_val_if_fail (NETPULSE_IS_ROW_SLOTS (self), G_MAXUINT);

  for (guint i = 0; i < self->slots->len; i++)
    if (netpulse_row_slot_get_row (g_ptr_array_index (self->slots, i)) == row)
      return i;
  return G_MAXUINT;
}

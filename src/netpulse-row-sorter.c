/* netpulse-row-sorter.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-row-sorter"

#include "config.h"

#include <string.h>

#include "netpulse-connection.h"
#include "netpulse-record-order.h"
#include "netpulse-row-sorter.h"

struct _NetpulseRowSorter
{
  GtkSorter        parent_instance;
  NetpulseSortKey  key;
};

G_DEFINE_FINAL_TYPE (NetpulseRowSorter, netpulse_row_sorter, GTK_TYPE_SORTER)

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

static NetpulseRow *
unwrap (gpointer item)
{
  /* Called twice per comparison: GtkTreeListRow is a final type, so its
   * exact type says it, without walking the type tree. */
  if (G_TYPE_FROM_INSTANCE (item) == GTK_TYPE_TREE_LIST_ROW)
    {
      /* The tree row keeps a reference to its item: borrowing is safe. */
      g_autoptr(GObject) inner = gtk_tree_list_row_get_item (item);
      return (NetpulseRow *) inner;
    }
  return item;
}

static int
compare_connections (NetpulseConnection *a,
                     NetpulseConnection *b,
                     NetpulseSortKey     key)
{
  const NetpulseRecord *ra = netpulse_connection_get_record (a);
  const NetpulseRecord *rb = netpulse_connection_get_record (b);

  switch (key)
    {
    case NETPULSE_SORT_PROTOCOL:
      return CMP (ra->proto, rb->proto);
    case NETPULSE_SORT_LOCAL:
      return netpulse_record_compare_local (netpulse_connection_get_keyed (a),
                                            netpulse_connection_get_keyed (b));
    case NETPULSE_SORT_REMOTE:
      return netpulse_record_compare_remote (netpulse_connection_get_keyed (a),
                                             netpulse_connection_get_keyed (b));
    case NETPULSE_SORT_STATE:
      return netpulse_record_compare_state (ra, rb);
    case NETPULSE_SORT_RTT:
      return CMP (ra->rtt_us, rb->rtt_us);
    default:
      return 0;
    }
}

int
netpulse_row_compare (gpointer        item_a,
                      gpointer        item_b,
                      NetpulseSortKey key)
{
  NetpulseRow *a = unwrap (item_a);
  NetpulseRow *b = unwrap (item_b);

  switch (key)
    {
    case NETPULSE_SORT_ID:
      return CMP (netpulse_row_get_id (a), netpulse_row_get_id (b));
    case NETPULSE_SORT_PROCESS:
      return g_ascii_strcasecmp (netpulse_row_get_display_name (a), netpulse_row_get_display_name (b));
    case NETPULSE_SORT_PID:
      return CMP (netpulse_row_get_pid (a), netpulse_row_get_pid (b));
    case NETPULSE_SORT_USER:
      return g_strcmp0 (netpulse_row_get_user (a), netpulse_row_get_user (b));
    /* The values of the last snapshot (see NetpulseRowSortKeys). */
    case NETPULSE_SORT_RX_RATE:
      return CMP (netpulse_row_get_sort_keys (a)->rx_rate, netpulse_row_get_sort_keys (b)->rx_rate);
    case NETPULSE_SORT_TX_RATE:
      return CMP (netpulse_row_get_sort_keys (a)->tx_rate, netpulse_row_get_sort_keys (b)->tx_rate);
    case NETPULSE_SORT_TOTAL:
      return CMP (netpulse_row_get_sort_keys (a)->bytes, netpulse_row_get_sort_keys (b)->bytes);
    case NETPULSE_SORT_ACTIVITY:
      return CMP (netpulse_row_get_sort_keys (a)->rx_rate + netpulse_row_get_sort_keys (a)->tx_rate,
                  netpulse_row_get_sort_keys (b)->rx_rate + netpulse_row_get_sort_keys (b)->tx_rate);
    case NETPULSE_SORT_PROTOCOL:
    case NETPULSE_SORT_LOCAL:
    case NETPULSE_SORT_REMOTE:
    case NETPULSE_SORT_STATE:
    case NETPULSE_SORT_RTT:
    default:
      if (NETPULSE_IS_CONNECTION (a) && NETPULSE_IS_CONNECTION (b))
        return compare_connections (NETPULSE_CONNECTION (a), NETPULSE_CONNECTION (b), key);
      return 0;
    }
}

static GtkOrdering
netpulse_row_sorter_compare (GtkSorter *sorter,
                             gpointer   item1,
                             gpointer   item2)
{
  int r = netpulse_row_compare (item1, item2, NETPULSE_ROW_SORTER (sorter)->key);

  return gtk_ordering_from_cmpfunc (r);
}

static GtkSorterOrder
netpulse_row_sorter_get_order (GtkSorter *sorter)
{
  return NETPULSE_ROW_SORTER (sorter)->key == NETPULSE_SORT_ID ? GTK_SORTER_ORDER_TOTAL
                                                               : GTK_SORTER_ORDER_PARTIAL;
}

static void
netpulse_row_sorter_class_init (NetpulseRowSorterClass *klass)
{
  GtkSorterClass *sorter_class = GTK_SORTER_CLASS (klass);

  sorter_class->compare = netpulse_row_sorter_compare;
  sorter_class->get_order = netpulse_row_sorter_get_order;
}

static void
netpulse_row_sorter_init (NetpulseRowSorter *self)
{
}

GtkSorter *
netpulse_row_sorter_new (NetpulseSortKey key)
{
  NetpulseRowSorter *self = g_object_new (NETPULSE_TYPE_ROW_SORTER, NULL);

  self->key = key;
  return GTK_SORTER (self);
}

NetpulseSortKey
netpulse_row_sorter_get_key (NetpulseRowSorter *self)
{
  return self->key;
}

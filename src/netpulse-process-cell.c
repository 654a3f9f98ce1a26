/* netpulse-process-cell.c — the table's first cell: icon and name under
 * the tree's expander, and a tooltip made when asked.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-columns"

#include "config.h"

#include "netpulse-app-group.h"
#include "netpulse-cell-text.h"
#include "netpulse-columns.h"
#include "netpulse-process-cell.h"
#include "netpulse-process-group.h"
#include "netpulse-text.h"

/* Borrowed: the cell's binding holds the row until it clears this. */
#define TOOLTIP_ROW_KEY "netpulse-tooltip-row"

/* The process name, then its executable and command line when the helper
 * sent them (one line each, every part escaped); for an application its
 * id and kind. */
static char *
process_tooltip (NetpulseRow *row)
{
  const NetpulseRecord *r = netpulse_process_group_record_of (row);
  GString *text = g_string_new (NULL);

  netpulse_text_append_safe (text, netpulse_row_get_comm (row));
  if (NETPULSE_IS_APP_GROUP (row))
    g_string_append_printf (text, " (%s)", netpulse_app_kind_name (netpulse_app_group_get_kind (NETPULSE_APP_GROUP (row))));
  if (r != NULL && r->exe[0] != '\0')
    {
      g_string_append_c (text, '\n');
      netpulse_text_append_safe (text, r->exe);
    }
  if (r != NULL && r->cmdline[0] != '\0')
    {
      g_string_append_c (text, '\n');
      netpulse_text_append_safe (text, r->cmdline);
    }
  return g_string_free (text, FALSE);
}

void
netpulse_process_cell_fill (GtkWidget   *expander,
                            NetpulseRow *row,
                            gboolean     nested)
{
  GtkWidget *box = gtk_tree_expander_get_child (GTK_TREE_EXPANDER (expander));
  GtkWidget *image = gtk_widget_get_first_child (box);
  GtkWidget *label = gtk_widget_get_next_sibling (image);
  GIcon *icon = netpulse_row_get_icon (row);
  g_autofree char *name = NULL;

  if (icon != NULL)
    gtk_image_set_from_gicon (GTK_IMAGE (image), icon);
  else
    gtk_image_set_from_icon_name (GTK_IMAGE (image), "application-x-executable-symbolic");
  /* A process names itself: bidi overrides, zero-width characters and
   * line separators would disguise it or break the row. */
  netpulse_cell_text_set_text (NETPULSE_CELL_TEXT (label), netpulse_text_safe (netpulse_row_get_display_name (row), &name));
  netpulse_process_cell_set_tooltip_row (expander, row);
  /* Under its process, a connection's process name is a repeat. */
  if (nested)
    gtk_widget_add_css_class (label, "dim-label");
  else
    gtk_widget_remove_css_class (label, "dim-label");
}

/* The cell's tooltip is asked for when the pointer rests on it, and made
 * then from the row the cell shows: setting it with
 * gtk_widget_set_tooltip_text() asks the display where the pointer is (a
 * round trip to the X server), and formatting it at bind time costs every
 * row rebound after a re-sort, on screen or not. */
static gboolean
on_query_process_tooltip (GtkWidget  *widget,
                          int         x,
                          int         y,
                          gboolean    keyboard_mode,
                          GtkTooltip *tooltip,
                          gpointer    user_data)
{
  g_autofree char *text = netpulse_columns_get_tooltip (widget);

  if (text == NULL || text[0] == '\0')
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

char *
netpulse_columns_get_tooltip (GtkWidget *cell)
{
  NetpulseRow *row = netpulse_process_cell_get_tooltip_row (cell);

  return row != NULL ? process_tooltip (row) : NULL;
}

GtkWidget *
netpulse_process_cell_new (void)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *image = gtk_image_new ();
  GtkWidget *label = netpulse_cell_text_new (FALSE);

  gtk_image_set_pixel_size (GTK_IMAGE (image), 16);
  /* A cell text asks for no width: the rest of the column is the name's. */
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), label);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);
  gtk_widget_set_has_tooltip (expander, TRUE);
  g_signal_connect (expander, "query-tooltip", G_CALLBACK (on_query_process_tooltip), NULL);
  return expander;
}


void
netpulse_process_cell_set_tooltip_row (GtkWidget   *cell,
                                       NetpulseRow *row)
{
  g_object_set_data (G_OBJECT (cell), TOOLTIP_ROW_KEY, row);
}

NetpulseRow *
netpulse_process_cell_get_tooltip_row (GtkWidget *cell)
{
  return g_object_get_data (G_OBJECT (cell), TOOLTIP_ROW_KEY);
}

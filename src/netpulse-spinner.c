/* netpulse-spinner.c
 *
 * A spinner that spins only while it is on screen.  GtkSpinner animates
 * through a CSS animation that keeps the window's frame clock running
 * whether or not the spinner is mapped: the "loading" spinner of the
 * Usage view, hidden in its stack while the Connections view is shown,
 * redrew the whole window sixty times a second (56 frames per update at
 * 10,000 rows instead of 1-2).  Here the caller says whether it wants the
 * spinner to spin; it spins when that is so and the spinner is mapped.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include "netpulse-spinner.h"

#define WANTED_KEY "netpulse-spinner-wanted"

static gboolean
spinner_wanted (GtkSpinner *spinner)
{
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (spinner), WANTED_KEY)) == 2;
}

static void
spinner_sync (GtkSpinner *spinner)
{
  gtk_spinner_set_spinning (spinner, spinner_wanted (spinner) &&
                                     gtk_widget_get_mapped (GTK_WIDGET (spinner)));
}

static void
on_map_changed (GtkWidget *widget,
                gpointer   user_data)
{
  spinner_sync (GTK_SPINNER (widget));
}

/* The first call connects to map and unmap; the object data says both
 * that it did (1: not wanted, 2: wanted) and what was asked. */
void
netpulse_spinner_set_wanted (GtkSpinner *spinner,
                             gboolean    wanted)
{
  g_return_if_fail (GTK_IS_SPINNER (spinner));

  if (g_object_get_data (G_OBJECT (spinner), WANTED_KEY) == NULL)
    {
      g_signal_connect (spinner, "map", G_CALLBACK (on_map_changed), NULL);
      g_signal_connect (spinner, "unmap", G_CALLBACK (on_map_changed), NULL);
    }
  g_object_set_data (G_OBJECT (spinner), WANTED_KEY, GINT_TO_POINTER (wanted ? 2 : 1));
  spinner_sync (spinner);
}

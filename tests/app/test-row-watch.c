/* test-row-watch.c: who shows a row is told once per update that changed
 * it (netpulse_row_watch(), netpulse_row_emit_changed()).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <string.h>

#include "netpulse-connection.h"
#include "netpulse-row.h"

typedef struct {
  NetpulseRow *row;
  guint        told;
  gulong      *unwatch_on_call;   /* another watcher's id, stopped when told */
} Watch;

static void
on_changed (gpointer data)
{
  Watch *watch = data;

  watch->told++;
  if (watch->unwatch_on_call != NULL)
    netpulse_row_unwatch (watch->row, watch->unwatch_on_call);
}

static NetpulseConnection *
make_connection (void)
{
  NetpulseRecord r;

  memset (&r, 0, sizeof r);
  r.id = 7;
  r.pid = 4242;
  g_strlcpy (r.comm, "firefox", sizeof r.comm);
  r.proto = 6;
  r.family = 4;
  return netpulse_connection_new (&r, 1);
}

static void
test_told_once_per_change (void)
{
  g_autoptr(NetpulseConnection) conn = make_connection ();
  NetpulseRow *row = NETPULSE_ROW (conn);
  Watch a = { row, 0, NULL }, b = { row, 0, NULL }, c = { row, 0, NULL };
  gulong id_a = netpulse_row_watch (row, G_CALLBACK (on_changed), &a);
  gulong id_b = netpulse_row_watch (row, G_CALLBACK (on_changed), &b);
  gulong id_c = netpulse_row_watch (row, G_CALLBACK (on_changed), &c);

  g_assert_cmpuint (id_a, !=, 0);
  g_assert_cmpuint (id_b, !=, id_a);
  g_assert_cmpuint (id_c, !=, id_b);

  /* A new row is news; then nothing changed: nobody is told again. */
  netpulse_row_emit_changed (row);
  netpulse_row_emit_changed (row);
  g_assert_cmpuint (a.told + b.told + c.told, ==, 3);
  a.told = b.told = c.told = 0;

  netpulse_row_mark_changed (row);
  netpulse_row_emit_changed (row);
  netpulse_row_emit_changed (row);
  g_assert_cmpuint (a.told, ==, 1);
  g_assert_cmpuint (b.told, ==, 1);
  g_assert_cmpuint (c.told, ==, 1);

  /* Stopped: not told, and the id is cleared; stopping twice is nothing. */
  netpulse_row_unwatch (row, &id_b);
  g_assert_cmpuint (id_b, ==, 0);
  netpulse_row_unwatch (row, &id_b);
  netpulse_row_mark_changed (row);
  netpulse_row_emit_changed (row);
  g_assert_cmpuint (a.told, ==, 2);
  g_assert_cmpuint (b.told, ==, 1);
  g_assert_cmpuint (c.told, ==, 2);

  /* A watcher that stops another while being told: the other is not told
   * after it was stopped, whichever order they are kept in. */
  a.unwatch_on_call = &id_c;
  c.unwatch_on_call = &id_a;
  netpulse_row_mark_changed (row);
  netpulse_row_emit_changed (row);
  g_assert_cmpuint (a.told + c.told, ==, 5);
  g_assert_cmpuint (id_a == 0 ? 1 : 0, !=, id_c == 0 ? 1 : 0);

  netpulse_row_unwatch (row, &id_a);
  netpulse_row_unwatch (row, &id_c);
  netpulse_row_mark_changed (row);
  netpulse_row_emit_changed (row);
  g_assert_cmpuint (a.told + c.told, ==, 5);

  /* Watched again after all stopped. */
  id_b = netpulse_row_watch (row, G_CALLBACK (on_changed), &b);
  netpulse_row_mark_changed (row);
  netpulse_row_emit_changed (row);
  g_assert_cmpuint (b.told, ==, 2);
  netpulse_row_unwatch (row, &id_b);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/row/told-once-per-change", test_told_once_per_change);
  return g_test_run ();
}

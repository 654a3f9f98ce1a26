/* test-record-table.c — applying frames to the table that netpulsectl and
 * the app share (common/netpulse-record-table.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include "netpulse-record-table.h"

static NetpulseRecord
make_record (guint64     id,
             const char *laddr,
             guint64     rx_bytes,
             guint32     flags)
{
  NetpulseRecord r = { 0 };

  r.id = id;
  r.proto = 6;
  g_strlcpy (r.laddr, laddr, sizeof r.laddr);
  r.lport = 1000 + id;
  r.rx_bytes = rx_bytes;
  r.flags = flags;
  return r;
}

/* The ids of @entries, in their order: "1,2,3". */
static char *
ids_of (GPtrArray *entries)
{
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  g_auto(GStrv) strv = NULL;

  for (guint i = 0; i < entries->len; i++)
    {
      const NetpulseRecordEntry *entry = g_ptr_array_index (entries, i);
      char id[24];

      g_snprintf (id, sizeof id, "%" G_GUINT64_FORMAT, entry->keyed.record.id);
      g_strv_builder_add (ids, id);
    }
  strv = g_strv_builder_end (ids);
  return g_strjoinv (",", strv);
}

static void
assert_changes (NetpulseRecordChanges *changes,
                const char            *added,
                const char            *changed,
                const char            *closed)
{
  g_autofree char *a = ids_of (changes->added);
  g_autofree char *c = ids_of (changes->changed);
  g_autofree char *x = ids_of (changes->closed);

  g_assert_cmpstr (a, ==, added);
  g_assert_cmpstr (c, ==, changed);
  g_assert_cmpstr (x, ==, closed);
}

static void
test_update (void)
{
  g_autoptr(NetpulseRecordTable) table = netpulse_record_table_new ();
  const NetpulseRecord first[] = {
    make_record (1, "10.0.0.1", 100, 0),
    make_record (2, "10.0.0.2", 200, 0),
    make_record (3, "10.0.0.3", 300, 0),
  };
  const NetpulseRecord second[] = {
    make_record (2, "::1", 250, 0),                       /* changed, new address */
    make_record (3, "10.0.0.3", 333, NETPULSE_RECORD_CLOSED), /* its final record */
    make_record (4, "10.0.0.4", 400, 0),                  /* new */
  };
  const guint64 removed[] = { 1, 777 };    /* 777: unknown, ignored */
  const NetpulseRecord late[] = {
    make_record (3, "10.0.0.3", 999, 0),   /* after its close: ignored */
  };
  NetpulseRecordEntry *entry;

  {
    g_auto(NetpulseRecordChanges) changes = { 0 };

    netpulse_record_changes_init (&changes);
    netpulse_record_table_apply_update (table, first, G_N_ELEMENTS (first), NULL, 0, &changes);
    assert_changes (&changes, "1,2,3", "", "");
    g_assert_cmpuint (netpulse_record_table_get_size (table), ==, 3);
  }

  {
    g_auto(NetpulseRecordChanges) changes = { 0 };

    netpulse_record_changes_init (&changes);
    netpulse_record_table_apply_update (table, second, G_N_ELEMENTS (second),
                                        removed, G_N_ELEMENTS (removed), &changes);
    assert_changes (&changes, "4", "2,3", "3,1");
  }

  /* Closed entries stay, with their final totals, until removed. */
  g_assert_cmpuint (netpulse_record_table_get_size (table), ==, 4);
  entry = netpulse_record_table_lookup (table, 3);
  g_assert_true (entry->closed);
  g_assert_cmpuint (entry->keyed.record.rx_bytes, ==, 333);
  entry = netpulse_record_table_lookup (table, 1);
  g_assert_true (entry->closed);
  g_assert_cmpuint (entry->keyed.record.rx_bytes, ==, 100);
  g_assert_cmpuint (entry->keyed.record.flags, ==, 0);   /* no final record came */
  g_assert_false (netpulse_record_table_lookup (table, 4)->closed);

  /* The address key follows the record: ::1 is IPv6. */
  entry = netpulse_record_table_lookup (table, 2);
  g_assert_cmpstr (entry->keyed.record.laddr, ==, "::1");
  g_assert_cmpuint (entry->keyed.local.bytes[0], ==, 2);
  g_assert_cmpuint (entry->keyed.local.bytes[16], ==, 1);
  g_assert_cmpuint (entry->keyed.record.rx_bytes, ==, 250);

  {
    g_auto(NetpulseRecordChanges) changes = { 0 };

    netpulse_record_changes_init (&changes);
    netpulse_record_table_apply_update (table, late, G_N_ELEMENTS (late), removed, 1, &changes);
    assert_changes (&changes, "", "", "");
    g_assert_cmpuint (netpulse_record_table_lookup (table, 3)->keyed.record.rx_bytes, ==, 333);
  }

  g_assert_cmpuint (netpulse_record_table_remove_closed (table), ==, 2);
  g_assert_cmpuint (netpulse_record_table_get_size (table), ==, 2);
  g_assert_null (netpulse_record_table_lookup (table, 1));
  g_assert_null (netpulse_record_table_lookup (table, 3));
  g_assert_nonnull (netpulse_record_table_lookup (table, 2));

  netpulse_record_table_remove (table, 2);
  g_assert_null (netpulse_record_table_lookup (table, 2));
  g_assert_cmpuint (netpulse_record_table_get_size (table), ==, 1);

  /* Without @changes, the same table. */
  netpulse_record_table_apply_update (table, first, 1, NULL, 0, NULL);
  g_assert_cmpuint (netpulse_record_table_get_size (table), ==, 2);
  netpulse_record_table_remove_all (table);
  g_assert_cmpuint (netpulse_record_table_get_size (table), ==, 0);
}

static int
compare_local (gconstpointer a,
               gconstpointer b)
{
  return netpulse_record_compare_local (*(NetpulseKeyedRecord * const *) a,
                                        *(NetpulseKeyedRecord * const *) b);
}

static void
test_snapshot (void)
{
  g_autoptr(NetpulseRecordTable) table = netpulse_record_table_new ();
  const NetpulseRecord before[] = {
    make_record (1, "10.0.0.1", 100, 0),
    make_record (2, "10.0.0.2", 200, 0),
    make_record (3, "10.0.0.3", 300, NETPULSE_RECORD_CLOSED),
  };
  const NetpulseRecord snapshot[] = {
    make_record (2, "10.0.0.2", 222, 0),
    make_record (5, "10.0.0.5", 500, NETPULSE_RECORD_CLOSED),  /* closed, still retained */
    make_record (6, "10.0.0.6", 600, 0),
  };
  g_auto(NetpulseRecordChanges) changes = { 0 };
  g_autoptr(GPtrArray) entries = NULL;

  netpulse_record_table_apply_update (table, before, G_N_ELEMENTS (before), NULL, 0, NULL);

  /* 1 is gone (closed, first); 3 had closed already and stays as it was. */
  netpulse_record_changes_init (&changes);
  netpulse_record_table_apply_snapshot (table, snapshot, G_N_ELEMENTS (snapshot), &changes);
  assert_changes (&changes, "5,6", "2", "1,5");
  g_assert_cmpuint (netpulse_record_table_get_size (table), ==, 5);
  g_assert_cmpuint (netpulse_record_table_lookup (table, 2)->keyed.record.rx_bytes, ==, 222);
  g_assert_true (netpulse_record_table_lookup (table, 1)->closed);
  g_assert_true (netpulse_record_table_lookup (table, 3)->closed);

  g_assert_cmpuint (netpulse_record_table_remove_closed (table), ==, 3);
  entries = netpulse_record_table_get_entries (table);
  g_ptr_array_sort (entries, compare_local);
  {
    g_autofree char *ids = ids_of (entries);

    g_assert_cmpstr (ids, ==, "2,6");
  }
}

/* The consumer's pointer stays with the entry across updates. */
static void
test_data (void)
{
  g_autoptr(NetpulseRecordTable) table = netpulse_record_table_new ();
  NetpulseRecord r = make_record (7, "10.0.0.7", 1, 0);
  int mine;

  netpulse_record_table_apply_update (table, &r, 1, NULL, 0, NULL);
  netpulse_record_table_lookup (table, 7)->data = &mine;
  r.rx_bytes = 2;
  netpulse_record_table_apply_update (table, &r, 1, NULL, 0, NULL);
  g_assert_true (netpulse_record_table_lookup (table, 7)->data == &mine);
  g_assert_cmpuint (netpulse_record_table_lookup (table, 7)->keyed.record.rx_bytes, ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/record-table/update", test_update);
  g_test_add_func ("/record-table/snapshot", test_snapshot);
  g_test_add_func ("/record-table/data", test_data);

  return g_test_run ();
}

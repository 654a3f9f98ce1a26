/* netpulsectl-table.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulsectl"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "netpulse-record-table.h"
#include "netpulse-text.h"
#include "netpulse-units.h"
#include "netpulsectl-layout.h"
#include "netpulsectl-table.h"

struct _NetpulsectlTable
{
  NetpulseRecordTable *records;
  NetpulseUserNames *users;
};

/* Sort keys {{{1 */

static const struct {
  const char         *name;
  NetpulsectlSortKey  key;
} sort_keys[] = {
  { "rate",   NETPULSECTL_SORT_RATE },
  { "rxrate", NETPULSECTL_SORT_RX_RATE },
  { "txrate", NETPULSECTL_SORT_TX_RATE },
  { "rx",     NETPULSECTL_SORT_RX },
  { "tx",     NETPULSECTL_SORT_TX },
  { "total",  NETPULSECTL_SORT_TOTAL },
  { "rtt",    NETPULSECTL_SORT_RTT },
  { "pid",    NETPULSECTL_SORT_PID },
  { "comm",   NETPULSECTL_SORT_COMM },
  { "user",   NETPULSECTL_SORT_USER },
  { "proto",  NETPULSECTL_SORT_PROTO },
  { "local",  NETPULSECTL_SORT_LOCAL },
  { "remote", NETPULSECTL_SORT_REMOTE },
  { "state",  NETPULSECTL_SORT_STATE },
  { "age",    NETPULSECTL_SORT_AGE },
  { "id",     NETPULSECTL_SORT_ID },
};

gboolean
netpulsectl_sort_key_from_string (const char         *name,
                                  NetpulsectlSortKey *key)
{
  g_assert (key != NULL);

  if (name == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (sort_keys); i++)
    if (g_ascii_strcasecmp (name, sort_keys[i].name) == 0)
      {
        *key = sort_keys[i].key;
        return TRUE;
      }
  return FALSE;
}

const char *
netpulsectl_sort_key_names (void)
{
  return "rate, rxrate, txrate, rx, tx, total, rtt, pid, comm, user, proto, local, remote, state, age, id";
}

/* Comparison {{{1 */

static int
compare_u64 (guint64 a,
             guint64 b)
{
  return a < b ? -1 : a > b ? 1 : 0;
}

static int
compare_double (double a,
                double b)
{
  return a < b ? -1 : a > b ? 1 : 0;
}

static int
compare_by_key (const NetpulseKeyedRecord *ka,
                const NetpulseKeyedRecord *kb,
                NetpulsectlSortKey         key,
                NetpulseUserNames         *users)
{
  const NetpulseRecord *a = &ka->record;
  const NetpulseRecord *b = &kb->record;

  switch (key)
    {
    /* Highest first. */
    case NETPULSECTL_SORT_RATE:
      return -compare_double (a->rx_rate + a->tx_rate, b->rx_rate + b->tx_rate);
    case NETPULSECTL_SORT_RX_RATE:
      return -compare_double (a->rx_rate, b->rx_rate);
    case NETPULSECTL_SORT_TX_RATE:
      return -compare_double (a->tx_rate, b->tx_rate);
    case NETPULSECTL_SORT_RX:
      return -compare_u64 (a->rx_bytes, b->rx_bytes);
    case NETPULSECTL_SORT_TX:
      return -compare_u64 (a->tx_bytes, b->tx_bytes);
    case NETPULSECTL_SORT_TOTAL:
      return -compare_u64 (a->rx_bytes + a->tx_bytes, b->rx_bytes + b->tx_bytes);
    case NETPULSECTL_SORT_RTT:
      return -compare_u64 (a->rtt_us, b->rtt_us);

    /* Ascending. */
    case NETPULSECTL_SORT_PID:
      return compare_u64 (a->pid, b->pid);
    case NETPULSECTL_SORT_COMM:
      return g_strcmp0 (a->comm, b->comm);
    case NETPULSECTL_SORT_USER:
      if (users == NULL)
        return compare_u64 (a->uid, b->uid);
      return g_strcmp0 (netpulse_user_names_lookup (users, a->uid),
                        netpulse_user_names_lookup (users, b->uid));
    case NETPULSECTL_SORT_PROTO:
      return g_strcmp0 (netpulse_record_proto_name (a), netpulse_record_proto_name (b));
    case NETPULSECTL_SORT_LOCAL:
      return netpulse_record_compare_local (ka, kb);
    case NETPULSECTL_SORT_REMOTE:
      return netpulse_record_compare_remote (ka, kb);
    case NETPULSECTL_SORT_STATE:
      return netpulse_record_compare_state (a, b);
    case NETPULSECTL_SORT_AGE:
      return compare_u64 (a->first_seen_ns, b->first_seen_ns);
    case NETPULSECTL_SORT_ID:
    default:
      return 0;
    }
}

int
netpulsectl_compare_records (const NetpulseKeyedRecord *a,
                             const NetpulseKeyedRecord *b,
                             NetpulsectlSortKey         key,
                             NetpulseUserNames         *users)
{
  int cmp = compare_by_key (a, b, key, users);

  return cmp != 0 ? cmp : compare_u64 (a->record.id, b->record.id);
}

/* Filter {{{1 */

gboolean
netpulsectl_record_matches (const NetpulseRecord *record,
                            const char           *filter,
                            NetpulseUserNames    *users)
{
  g_autofree char *needle = NULL;
  g_autofree char *local = NULL;
  g_autofree char *remote = NULL;
  char port[8];

  g_assert (record != NULL);

  if (filter == NULL || filter[0] == '\0')
    return TRUE;

  needle = g_utf8_strdown (filter, -1);
  local = netpulse_format_endpoint (record->laddr, record->lport);
  remote = netpulse_format_remote (record);

  if (netpulse_text_contains_as_shown (record->comm, needle) ||
      netpulse_text_contains (netpulse_record_proto_name (record), needle) ||
      netpulse_text_contains (local, needle) ||
      netpulse_text_contains (remote, needle))
    return TRUE;

  /* Ports on their own (an unconnected socket shows "*" as remote). */
  g_snprintf (port, sizeof port, "%u", record->lport);
  if (strstr (port, needle) != NULL)
    return TRUE;
  g_snprintf (port, sizeof port, "%u", record->rport);
  if (record->raddr[0] != '\0' && strstr (port, needle) != NULL)
    return TRUE;

  return users != NULL && netpulse_text_contains (netpulse_user_names_lookup (users, record->uid), needle);
}

/* Table {{{1 */

NetpulsectlTable *
netpulsectl_table_new (void)
{
  NetpulsectlTable *table = g_new0 (NetpulsectlTable, 1);

  table->records = netpulse_record_table_new ();
  table->users = netpulse_user_names_new ();
  return table;
}

void
netpulsectl_table_free (NetpulsectlTable *table)
{
  if (table == NULL)
    return;
  g_object_unref (table->records);
  g_object_unref (table->users);
  g_free (table);
}

NetpulseRecordTable *
netpulsectl_table_get_records (NetpulsectlTable *table)
{
  return table->records;
}

typedef struct {
  NetpulsectlSortKey  key;
  NetpulseUserNames  *users;
} SortData;

static int
compare_rows (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  const SortData *data = user_data;

  /* Each row is the record at the start of a keyed record. */
  return netpulsectl_compare_records (*(NetpulseKeyedRecord * const *) a,
                                      *(NetpulseKeyedRecord * const *) b,
                                      data->key, data->users);
}

static void
sort_rows (GPtrArray          *rows,
           NetpulsectlSortKey  key,
           NetpulseUserNames  *users)
{
  SortData data = { key, users };

  g_ptr_array_sort_with_data (rows, compare_rows, &data);
}

GPtrArray *
netpulsectl_table_rows (NetpulsectlTable   *table,
                        const char         *filter,
                        NetpulsectlSortKey  key)
{
  g_autoptr(GPtrArray) entries = netpulse_record_table_get_entries (table->records);
  GPtrArray *rows = g_ptr_array_sized_new (entries->len);

  for (guint i = 0; i < entries->len; i++)
    {
      NetpulseRecordEntry *entry = g_ptr_array_index (entries, i);

      if (netpulsectl_record_matches (&entry->keyed.record, filter, table->users))
        g_ptr_array_add (rows, &entry->keyed.record);
    }

  sort_rows (rows, key, table->users);
  return rows;
}

GPtrArray *
netpulsectl_sort_records (const GArray       *records,
                          const char         *filter,
                          NetpulsectlSortKey  key,
                          NetpulseUserNames  *users)
{
  GPtrArray *rows = g_ptr_array_new_full (records->len, g_free);

  for (guint i = 0; i < records->len; i++)
    {
      NetpulseRecord *record = &g_array_index (records, NetpulseRecord, i);

      if (netpulsectl_record_matches (record, filter, users))
        {
          NetpulseKeyedRecord *keyed = g_new (NetpulseKeyedRecord, 1);

          netpulse_keyed_record_init (keyed, record);
          g_ptr_array_add (rows, &keyed->record);
        }
    }

  sort_rows (rows, key, users);
  return rows;
}

enum {
  COL_PID, COL_COMM, COL_USER, COL_PROTO, COL_LOCAL, COL_REMOTE, COL_STATE,
  COL_RTT, COL_RX_RATE, COL_TX_RATE, COL_RX, COL_TX, COL_TOTAL,
  N_COLUMNS
};

/* Below the table's full width, columns go in rank order (the highest
 * first) after the addresses were shortened (in the middle: the port
 * stays): what nethogs shows stays the longest, the process and its
 * download, upload, total and peer. */
static const NetpulsectlColumn columns[N_COLUMNS] = {
  /* Translators: column titles of `netpulsectl monitor`, keep them short */
  [COL_PID]     = { N_("PID"),    TRUE,   0, 0 },
  [COL_COMM]    = { N_("COMM"),   FALSE,  0, 0 },
  [COL_USER]    = { N_("USER"),   FALSE, 10, 0 },
  [COL_PROTO]   = { N_("PROTO"),  FALSE,  8, 0 },
  [COL_LOCAL]   = { N_("LOCAL"),  FALSE, 12, 15 },
  [COL_REMOTE]  = { N_("REMOTE"), FALSE,  5, 15 },
  [COL_STATE]   = { N_("STATE"),  FALSE,  9, 0 },
  [COL_RTT]     = { N_("RTT"),    TRUE,  11, 0 },
  [COL_RX_RATE] = { N_("RX/s"),   TRUE,   2, 0 },
  [COL_TX_RATE] = { N_("TX/s"),   TRUE,   3, 0 },
  [COL_RX]      = { N_("RX"),     TRUE,   6, 0 },
  [COL_TX]      = { N_("TX"),     TRUE,   7, 0 },
  /* Translators: RX + TX bytes */
  [COL_TOTAL]   = { N_("TOTAL"),  TRUE,   4, 0 },
};

/* Makes each of the @n cells of @cells safe to print, in place. */
void
netpulsectl_cells_make_safe (char **cells,
                             guint  n)
{
  /* A process chooses its own name ("\e]0;PWNED\a", "ab\nFAKE\n…"), NSS
   * the user names: nothing reaches the terminal unescaped.  Clean cells,
   * nearly all, are kept as they are. */
  for (guint c = 0; c < n; c++)
    {
      char *safe = NULL;

      netpulse_text_safe (cells[c], &safe);
      if (safe != NULL)
        {
          g_free (cells[c]);
          cells[c] = safe;
        }
    }
}

static char **
format_cells (gconstpointer item,
              gpointer      user_data)
{
  const NetpulseRecord *r = item;
  NetpulseUserNames *users = user_data;
  char **cells = g_new0 (char *, N_COLUMNS + 1);
  const char *state = netpulse_tcp_state_name (r->state);

  cells[COL_PID] = r->pid != 0 ? g_strdup_printf ("%u", r->pid) : g_strdup ("-");
  cells[COL_COMM] = g_strdup (r->comm[0] != '\0' ? r->comm : "-");
  cells[COL_USER] = g_strdup (netpulse_user_names_lookup (users, r->uid));
  cells[COL_PROTO] = g_strdup (netpulse_record_proto_name (r));
  cells[COL_LOCAL] = netpulse_format_endpoint (r->laddr, r->lport);
  cells[COL_REMOTE] = netpulse_format_remote (r);
  if (r->flags & NETPULSE_RECORD_CLOSED)
    /* Translators: the STATE of a connection that has just closed */
    cells[COL_STATE] = g_strdup (_("closed"));
  else
    cells[COL_STATE] = g_strdup (state[0] != '\0' ? state : "-");
  cells[COL_RTT] = netpulse_format_rtt (r->rtt_us);
  if (cells[COL_RTT][0] == '\0')
    {
      g_free (cells[COL_RTT]);
      cells[COL_RTT] = g_strdup ("-");
    }
  cells[COL_RX_RATE] = netpulse_format_rate (r->rx_rate, FALSE);
  cells[COL_TX_RATE] = netpulse_format_rate (r->tx_rate, FALSE);
  cells[COL_RX] = netpulse_format_bytes (r->rx_bytes);
  cells[COL_TX] = netpulse_format_bytes (r->tx_bytes);
  cells[COL_TOTAL] = netpulse_format_bytes (r->rx_bytes + r->tx_bytes);

  netpulsectl_cells_make_safe (cells, N_COLUMNS);
  return cells;
}

void
netpulsectl_table_format (NetpulsectlTable   *table,
                          const char         *filter,
                          NetpulsectlSortKey  key,
                          guint               max_rows,
                          GString            *out)
{
  netpulsectl_table_format_fit (table, filter, key, max_rows, 0, out);
}

void
netpulsectl_table_format_fit (NetpulsectlTable   *table,
                              const char         *filter,
                              NetpulsectlSortKey  key,
                              guint               max_rows,
                              guint               width,
                              GString            *out)
{
  g_autoptr(GPtrArray) rows = netpulsectl_table_rows (table, filter, key);
  guint more = netpulsectl_layout_append_items (columns, N_COLUMNS, rows, max_rows, format_cells,
                                                table->users, width, out);

  if (more > 0)
    g_string_append_printf (out,
                            ngettext ("… %u more connection\n",
                                      "… %u more connections\n", more),
                            more);
}

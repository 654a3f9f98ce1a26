/* netpulse-row.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-row"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "netpulse-row.h"
#include "netpulse-text.h"

typedef struct
{
  guint64          id;
  guint            pid;
  char            *comm;
  char            *display_name;
  GIcon           *icon;
  guint            uid;
  char            *user;
  double           rx_rate;
  double           tx_rate;
  guint64          rx_bytes;
  guint64          tx_bytes;
  gboolean         closed;
  double           opacity;
  guint64          history_tick;
  NetpulseHistory *history;
  NetpulseRowSortKeys sort_keys;  /* as of the last snapshot */
  gboolean         sort_keys_set;
  gboolean         dirty;          /* changed since it last told its watchers */
  GArray          *watchers;       /* Watcher (netpulse_row_watch), NULL when none */
  gulong           last_watch_id;
} NetpulseRowPrivate;

/* Who shows the row.  Not a GSignal: the cells of the ~200 rows GTK keeps
 * bound connect and disconnect at every re-sort (thousands a second at
 * 10,000 rows), and a closure each was a measurable part of an update. */
typedef struct {
  gulong   id;
  void   (*callback) (gpointer data);
  gpointer data;
} Watcher;

G_DEFINE_TYPE_WITH_PRIVATE (NetpulseRow, netpulse_row, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_PID,
  PROP_COMM,
  PROP_DISPLAY_NAME,
  PROP_ICON,
  PROP_UID,
  PROP_USER,
  PROP_RX_RATE,
  PROP_TX_RATE,
  PROP_RX_BYTES,
  PROP_TX_BYTES,
  PROP_CLOSED,
  PROP_OPACITY,
  PROP_HISTORY_TICK,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define PRIV(self) ((NetpulseRowPrivate *) netpulse_row_get_instance_private (self))

static gboolean
netpulse_row_real_matches (NetpulseRow *self,
                           const char  *word)
{
  NetpulseRowPrivate *priv = PRIV (self);
  char pid[16];

  g_snprintf (pid, sizeof pid, "%u", priv->pid);
  return netpulse_text_contains_as_shown (priv->display_name, word) ||
         netpulse_text_contains_as_shown (priv->comm, word) ||
         netpulse_text_contains (priv->user, word) ||
         (priv->pid != 0 && strcmp (pid, word) == 0);
}

static void
netpulse_row_finalize (GObject *object)
{
  NetpulseRowPrivate *priv = PRIV (NETPULSE_ROW (object));

  g_free (priv->comm);
  g_free (priv->display_name);
  g_clear_object (&priv->icon);
  g_free (priv->user);
  netpulse_history_free (priv->history);
  g_clear_pointer (&priv->watchers, g_array_unref);

  G_OBJECT_CLASS (netpulse_row_parent_class)->finalize (object);
}

static void
netpulse_row_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  NetpulseRowPrivate *priv = PRIV (NETPULSE_ROW (object));

  switch (prop_id)
    {
    case PROP_ID:           g_value_set_uint64 (value, priv->id); break;
    case PROP_PID:          g_value_set_uint (value, priv->pid); break;
    case PROP_COMM:         g_value_set_string (value, priv->comm); break;
    case PROP_DISPLAY_NAME: g_value_set_string (value, priv->display_name); break;
    case PROP_ICON:         g_value_set_object (value, priv->icon); break;
    case PROP_UID:          g_value_set_uint (value, priv->uid); break;
    case PROP_USER:         g_value_set_string (value, priv->user); break;
    case PROP_RX_RATE:      g_value_set_double (value, priv->rx_rate); break;
    case PROP_TX_RATE:      g_value_set_double (value, priv->tx_rate); break;
    case PROP_RX_BYTES:     g_value_set_uint64 (value, priv->rx_bytes); break;
    case PROP_TX_BYTES:     g_value_set_uint64 (value, priv->tx_bytes); break;
    case PROP_CLOSED:       g_value_set_boolean (value, priv->closed); break;
    case PROP_OPACITY:      g_value_set_double (value, priv->opacity); break;
    case PROP_HISTORY_TICK: g_value_set_uint64 (value, priv->history_tick); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
netpulse_row_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  NetpulseRowPrivate *priv = PRIV (NETPULSE_ROW (object));

  switch (prop_id)
    {
    case PROP_ID:
      priv->id = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
ro_double (const char *name)
{
  return g_param_spec_double (name, NULL, NULL, 0, G_MAXDOUBLE, 0,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
ro_uint64 (const char *name)
{
  return g_param_spec_uint64 (name, NULL, NULL, 0, G_MAXUINT64, 0,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
ro_uint (const char *name)
{
  return g_param_spec_uint (name, NULL, NULL, 0, G_MAXUINT, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
ro_string (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
netpulse_row_class_init (NetpulseRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = netpulse_row_finalize;
  object_class->get_property = netpulse_row_get_property;
  object_class->set_property = netpulse_row_set_property;

  klass->matches = netpulse_row_real_matches;

  properties[PROP_ID] =
    g_param_spec_uint64 ("id", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PID] = ro_uint ("pid");
  properties[PROP_COMM] = ro_string ("comm");
  properties[PROP_DISPLAY_NAME] = ro_string ("display-name");
  properties[PROP_ICON] =
    g_param_spec_object ("icon", NULL, NULL, G_TYPE_ICON,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UID] = ro_uint ("uid");
  properties[PROP_USER] = ro_string ("user");
  properties[PROP_RX_RATE] = ro_double ("rx-rate");
  properties[PROP_TX_RATE] = ro_double ("tx-rate");
  properties[PROP_RX_BYTES] = ro_uint64 ("rx-bytes");
  properties[PROP_TX_BYTES] = ro_uint64 ("tx-bytes");
  properties[PROP_CLOSED] =
    g_param_spec_boolean ("closed", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OPACITY] =
    g_param_spec_double ("opacity", NULL, NULL, 0.0, 1.0, 1.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HISTORY_TICK] = ro_uint64 ("history-tick");

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
netpulse_row_init (NetpulseRow *self)
{
  NetpulseRowPrivate *priv = PRIV (self);

  priv->opacity = 1.0;
  priv->comm = g_strdup ("");
  priv->user = g_strdup ("");
  priv->history = netpulse_history_new (NETPULSE_ROW_HISTORY_LENGTH);
}

guint64     netpulse_row_get_id           (NetpulseRow *self) { return PRIV (self)->id; }
guint       netpulse_row_get_pid          (NetpulseRow *self) { return PRIV (self)->pid; }
const char *netpulse_row_get_comm         (NetpulseRow *self) { return PRIV (self)->comm; }
GIcon      *netpulse_row_get_icon         (NetpulseRow *self) { return PRIV (self)->icon; }
guint       netpulse_row_get_uid          (NetpulseRow *self) { return PRIV (self)->uid; }
const char *netpulse_row_get_user         (NetpulseRow *self) { return PRIV (self)->user; }
double      netpulse_row_get_rx_rate      (NetpulseRow *self) { return PRIV (self)->rx_rate; }
double      netpulse_row_get_tx_rate      (NetpulseRow *self) { return PRIV (self)->tx_rate; }
guint64     netpulse_row_get_rx_bytes     (NetpulseRow *self) { return PRIV (self)->rx_bytes; }
guint64     netpulse_row_get_tx_bytes     (NetpulseRow *self) { return PRIV (self)->tx_bytes; }
gboolean    netpulse_row_get_closed       (NetpulseRow *self) { return PRIV (self)->closed; }
double      netpulse_row_get_opacity      (NetpulseRow *self) { return PRIV (self)->opacity; }
guint64     netpulse_row_get_history_tick (NetpulseRow *self) { return PRIV (self)->history_tick; }

const NetpulseHistory *
netpulse_row_get_history (NetpulseRow *self)
{
  return PRIV (self)->history;
}

const char *
netpulse_row_get_display_name (NetpulseRow *self)
{
  NetpulseRowPrivate *priv = PRIV (self);

  if (priv->display_name != NULL)
    return priv->display_name;
  /* An accepted connection is seen by the kernel before its process has
   * touched it; its owner is found a moment later. */
  if (priv->comm == NULL || priv->comm[0] == '\0')
    return _("Unknown process");
  return priv->comm;
}

static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value != NULL ? value : "");
  return TRUE;
}

void
netpulse_row_set_process (NetpulseRow *self,
                          guint        pid,
                          const char  *comm)
{
  NetpulseRowPrivate *priv = PRIV (self);

  if (priv->pid != pid)
    {
      priv->pid = pid;
      priv->dirty = TRUE;
    }
  if (replace_string (&priv->comm, comm))
    priv->dirty = TRUE;
}

void
netpulse_row_set_display (NetpulseRow *self,
                          const char  *display_name,
                          GIcon       *icon)
{
  NetpulseRowPrivate *priv = PRIV (self);

  if (g_strcmp0 (priv->display_name, display_name) != 0)
    {
      g_free (priv->display_name);
      priv->display_name = g_strdup (display_name);
      priv->dirty = TRUE;
    }
  if (g_set_object (&priv->icon, icon))
    priv->dirty = TRUE;
}

void
netpulse_row_set_user (NetpulseRow *self,
                       guint        uid,
                       const char  *user)
{
  NetpulseRowPrivate *priv = PRIV (self);

  if (priv->uid != uid)
    {
      priv->uid = uid;
      priv->dirty = TRUE;
    }
  if (replace_string (&priv->user, user))
    priv->dirty = TRUE;
}

void
netpulse_row_set_traffic (NetpulseRow *self,
                          guint64      tick,
                          double       rx_rate,
                          double       tx_rate,
                          guint64      rx_bytes,
                          guint64      tx_bytes)
{
  NetpulseRowPrivate *priv = PRIV (self);

  priv->rx_rate = rx_rate;
  priv->tx_rate = tx_rate;
  priv->rx_bytes = rx_bytes;
  priv->tx_bytes = tx_bytes;
  netpulse_history_push (priv->history, tick, rx_rate, tx_rate);
  priv->history_tick = tick;
  /* A new row is sorted in by what it has now. */
  if (!priv->sort_keys_set)
    netpulse_row_snapshot_sort_keys (self);
  /* The sparkline moves on each tick. */
  priv->dirty = TRUE;
}

void
netpulse_row_set_closed (NetpulseRow *self,
                         gboolean     closed)
{
  NetpulseRowPrivate *priv = PRIV (self);

  closed = !!closed;
  if (priv->closed == closed)
    return;
  priv->closed = closed;
  priv->dirty = TRUE;
}

void
netpulse_row_set_opacity (NetpulseRow *self,
                          double       opacity)
{
  NetpulseRowPrivate *priv = PRIV (self);

  opacity = CLAMP (opacity, 0.0, 1.0);
  if (priv->opacity == opacity)
    return;
  priv->opacity = opacity;
  priv->dirty = TRUE;
}

gboolean
netpulse_row_matches_word (NetpulseRow *self,
                           const char  *word)
{
  return NETPULSE_ROW_GET_CLASS (self)->matches (self, word);
}

gboolean
netpulse_row_matches (NetpulseRow *self,
                      const char  *search)
{
  g_autofree char *folded = NULL;
  g_auto(GStrv) words = NULL;

  g_return_val_if_fail (NETPULSE_IS_ROW (self), FALSE);

  if (search == NULL || search[0] == '\0')
    return TRUE;

  folded = g_utf8_strdown (search, -1);
  words = g_strsplit_set (folded, " \t", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0' && !netpulse_row_matches_word (self, words[i]))
      return FALSE;
  return TRUE;
}

void
netpulse_row_snapshot_sort_keys (NetpulseRow *self)
{
  NetpulseRowPrivate *priv = PRIV (self);

  priv->sort_keys.rx_rate = priv->rx_rate;
  priv->sort_keys.tx_rate = priv->tx_rate;
  priv->sort_keys.bytes = priv->rx_bytes + priv->tx_bytes;
  priv->sort_keys_set = TRUE;
}

const NetpulseRowSortKeys *
netpulse_row_get_sort_keys (NetpulseRow *self)
{
  return &PRIV (self)->sort_keys;
}

void
netpulse_row_mark_changed (NetpulseRow *self)
{
  PRIV (self)->dirty = TRUE;
}

static gboolean
still_watching (NetpulseRowPrivate *priv,
                gulong              id)
{
  for (guint i = 0; priv->watchers != NULL && i < priv->watchers->len; i++)
    if (g_array_index (priv->watchers, Watcher, i).id == id)
      return TRUE;
  return FALSE;
}

void
netpulse_row_emit_changed (NetpulseRow *self)
{
  NetpulseRowPrivate *priv = PRIV (self);
  Watcher *told;
  guint n;

  if (!priv->dirty)
    return;
  priv->dirty = FALSE;
  /* Most rows are not on screen: nobody to tell. */
  if (priv->watchers == NULL)
    return;
  /* A copy: a watcher may watch or unwatch while it is told. */
  n = priv->watchers->len;
  told = g_newa (Watcher, n);
  memcpy (told, priv->watchers->data, n * sizeof (Watcher));
  g_object_ref (self);
  for (guint i = 0; i < n; i++)
    if (still_watching (priv, told[i].id))
      told[i].callback (told[i].data);
  g_object_unref (self);
}

gulong
netpulse_row_watch (NetpulseRow *self,
                    GCallback    callback,
                    gpointer     data)
{
  NetpulseRowPrivate *priv;
  Watcher watcher;

  g_return_val_if_fail (NETPULSE_IS_ROW (self), 0);
  g_return_val_if_fail (callback != NULL, 0);

  priv = PRIV (self);
  if (priv->watchers == NULL)
    priv->watchers = g_array_sized_new (FALSE, FALSE, sizeof (Watcher), 12);
  watcher.id = ++priv->last_watch_id;
  watcher.callback = (void (*) (gpointer)) callback;
  watcher.data = data;
  g_array_append_val (priv->watchers, watcher);
  return watcher.id;
}

void
netpulse_row_unwatch (NetpulseRow *self,
                      gulong      *handler_id)
{
  NetpulseRowPrivate *priv;

  g_return_if_fail (NETPULSE_IS_ROW (self));

  priv = PRIV (self);
  if (*handler_id == 0 || priv->watchers == NULL)
    return;
  for (guint i = 0; i < priv->watchers->len; i++)
    if (g_array_index (priv->watchers, Watcher, i).id == *handler_id)
      {
        g_array_remove_index_fast (priv->watchers, i);
        break;
      }
  *handler_id = 0;
  /* Rows come into view and go: no array kept for each of them. */
  if (priv->watchers->len == 0)
    g_clear_pointer (&priv->watchers, g_array_unref);
}

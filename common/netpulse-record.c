/* netpulse-record.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-record"

#include "config.h"

#include <arpa/inet.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "netpulse-record.h"
#include "netpulse-text.h"

static const char * const tcp_state_names[] = {
  [0]  = "",
  [1]  = "ESTABLISHED",
  [2]  = "SYN_SENT",
  [3]  = "SYN_RECV",
  [4]  = "FIN_WAIT1",
  [5]  = "FIN_WAIT2",
  [6]  = "TIME_WAIT",
  [7]  = "CLOSE",
  [8]  = "CLOSE_WAIT",
  [9]  = "LAST_ACK",
  [10] = "LISTEN",
  [11] = "CLOSING",
  [12] = "NEW_SYN_RECV",
};

const char *
netpulse_tcp_state_name (guint8 state)
{
  if (state < G_N_ELEMENTS (tcp_state_names))
    return tcp_state_names[state];
  return "UNKNOWN";
}

guint8
netpulse_tcp_state_from_name (const char *name)
{
  if (name == NULL)
    return 0;
  for (guint i = 1; i < G_N_ELEMENTS (tcp_state_names); i++)
    if (g_strcmp0 (tcp_state_names[i], name) == 0)
      return i;
  return 0;
}

const char *
netpulse_proto_name (guint8 proto)
{
  switch (proto)
    {
    case 6:  return "tcp";
    case 17: return "udp";
    default: return "other";
    }
}

static guint8
proto_from_name (const char *name)
{
  if (g_strcmp0 (name, "tcp") == 0)
    return 6;
  if (g_strcmp0 (name, "udp") == 0)
    return 17;
  return 0;
}

const char *
netpulse_format_address (guint8        family,
                         const guint8 *addr,
                         char         *buf)
{
  static const guint8 zero[16];

  g_assert (addr != NULL);
  g_assert (buf != NULL);

  if (memcmp (addr, zero, family == 4 ? 4 : 16) == 0 && family == 4)
    g_strlcpy (buf, "0.0.0.0", NETPULSE_ADDRSTRLEN);
  else if (inet_ntop (family == 4 ? AF_INET : AF_INET6, addr, buf, NETPULSE_ADDRSTRLEN) == NULL)
    g_strlcpy (buf, "?", NETPULSE_ADDRSTRLEN);
  return buf;
}

char *
netpulse_format_endpoint (const char *addr,
                          guint16     port)
{
  if (addr == NULL || addr[0] == '\0')
    return g_strdup ("*");
  if (strchr (addr, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", addr, port);
  return g_strdup_printf ("%s:%u", addr, port);
}

char *
netpulse_format_remote (const NetpulseRecord *record)
{
  g_assert (record != NULL);

  if (record->flags & NETPULSE_RECORD_OTHER_PEERS)
    /* Translators: the remote address of the record that counts together the
     * peers of one UDP socket beyond the helper's cap */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "(%u other peer)", "(%u other peers)",
                                         record->retrans),
                            record->retrans);
  return netpulse_format_endpoint (record->raddr, record->rport);
}

double
netpulse_compute_rate (guint64 previous,
                       guint64 current,
                       guint64 interval_ns)
{
  if (interval_ns == 0 || current < previous)
    return 0.0;
  return (double) (current - previous) * 1e9 / (double) interval_ns;
}

/* Like g_strlcpy(), but never cuts a UTF-8 character in two: a command name
 * made valid (each bad byte becomes a 3-byte U+FFFD) can be longer than the
 * record holds. */
static void
copy_utf8 (char       *dest,
           const char *src,
           gsize       size)
{
  gsize len = g_strlcpy (dest, src, size);

  if (len >= size)
    {
      const char *end = dest + size - 1;   /* where the copy was cut */
      const char *start = g_utf8_find_prev_char (dest, end);

      /* Drop a trailing partial character. */
      if (start != NULL && !g_utf8_validate (start, end - start, NULL))
        dest[start - dest] = '\0';
    }
}

GVariant *
netpulse_record_to_variant (const NetpulseRecord *r)
{
  gsize len;
  char comm[sizeof r->comm];

  g_assert (r != NULL);

  /* A command name is whatever bytes the process chose, cut by the kernel
   * possibly inside a character; D-Bus strings must be UTF-8.  Bad bytes
   * become U+FFFD, cut again at a whole character to what a record holds.
   * Almost every name is valid: copied as it is, without an allocation. */
  len = strnlen (r->comm, sizeof r->comm);
  if (G_LIKELY (len < sizeof r->comm && g_utf8_validate (r->comm, len, NULL)))
    memcpy (comm, r->comm, len + 1);
  else
    {
      g_autofree char *valid = g_utf8_make_valid (r->comm, len);

      copy_utf8 (comm, valid, sizeof comm);
    }

  return g_variant_new (NETPULSE_RECORD_SIGNATURE,
                        r->id, r->pid, comm, r->uid,
                        r->proto, r->family,
                        r->laddr, r->lport, r->raddr, r->rport,
                        r->state,
                        r->tx_bytes, r->rx_bytes, r->tx_packets, r->rx_packets,
                        r->tx_rate, r->rx_rate,
                        r->rtt_us, r->retrans,
                        r->cgroup_id, r->netns,
                        r->first_seen_ns, r->last_seen_ns,
                        r->flags);
}

gboolean
netpulse_record_from_variant (NetpulseRecord  *r,
                              GVariant        *variant,
                              GError         **error)
{
  const char *comm, *laddr, *raddr;

  g_assert (r != NULL);

  if (variant == NULL || !g_variant_is_of_type (variant, NETPULSE_RECORD_TYPE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Record is not of type %s", NETPULSE_RECORD_SIGNATURE);
      return FALSE;
    }

  memset (r, 0, sizeof *r);
  g_variant_get (variant, NETPULSE_RECORD_SIGNATURE,
                 &r->id, &r->pid, &comm, &r->uid,
                 &r->proto, &r->family,
                 &laddr, &r->lport, &raddr, &r->rport,
                 &r->state,
                 &r->tx_bytes, &r->rx_bytes, &r->tx_packets, &r->rx_packets,
                 &r->tx_rate, &r->rx_rate,
                 &r->rtt_us, &r->retrans,
                 &r->cgroup_id, &r->netns,
                 &r->first_seen_ns, &r->last_seen_ns,
                 &r->flags);
  copy_utf8 (r->comm, comm, sizeof r->comm);
  g_strlcpy (r->laddr, laddr, sizeof r->laddr);
  g_strlcpy (r->raddr, raddr, sizeof r->raddr);
  g_free ((char *) comm);
  g_free ((char *) laddr);
  g_free ((char *) raddr);
  return TRUE;
}

void
netpulse_record_append_json (const NetpulseRecord *r,
                             guint64               ts_ns,
                             GString              *out)
{
  gboolean other_peers;

  g_assert (r != NULL);
  g_assert (out != NULL);

  other_peers = (r->flags & NETPULSE_RECORD_OTHER_PEERS) != 0;
  g_string_append_printf (out, "{\"ts_ns\":%" G_GUINT64_FORMAT ",\"id\":%" G_GUINT64_FORMAT
                          ",\"pid\":%u,\"comm\":", ts_ns, r->id, r->pid);
  /* Valid JSON (a name that is not UTF-8 gets U+FFFD) and safe to print:
   * a name that is a terminal escape or a bidi override arrives as
   * \uXXXX escapes, from which every reader gets it back exactly. */
  netpulse_text_append_json_string (out, r->comm);
  g_string_append_printf (out, ",\"uid\":%u,\"proto\":\"%s\",\"family\":%u,\"laddr\":",
                          r->uid, netpulse_proto_name (r->proto), r->family);
  netpulse_text_append_json_string (out, r->laddr);
  g_string_append_printf (out, ",\"lport\":%u,\"raddr\":", r->lport);
  netpulse_text_append_json_string (out, r->raddr);
  g_string_append_printf (out, ",\"rport\":%u,\"state\":\"%s\"", r->rport,
                          netpulse_tcp_state_name (r->state));
  g_string_append_printf (out,
                          ",\"tx_bytes\":%" G_GUINT64_FORMAT ",\"rx_bytes\":%" G_GUINT64_FORMAT
                          ",\"tx_packets\":%" G_GUINT64_FORMAT ",\"rx_packets\":%" G_GUINT64_FORMAT
                          ",\"tx_rate\":%.1f,\"rx_rate\":%.1f,\"rtt_us\":%u,\"retrans\":%u"
                          ",\"cgroup_id\":%" G_GUINT64_FORMAT ",\"netns\":%u"
                          ",\"first_seen_ns\":%" G_GUINT64_FORMAT ",\"last_seen_ns\":%" G_GUINT64_FORMAT
                          ",\"closed\":%s,\"partial\":%s,\"per_peer\":%s,\"other_peers\":%s,\"peers\":%u}",
                          r->tx_bytes, r->rx_bytes, r->tx_packets, r->rx_packets,
                          r->tx_rate, r->rx_rate, r->rtt_us, other_peers ? 0 : r->retrans,
                          r->cgroup_id, r->netns, r->first_seen_ns, r->last_seen_ns,
                          (r->flags & NETPULSE_RECORD_CLOSED) ? "true" : "false",
                          (r->flags & NETPULSE_RECORD_PARTIAL) ? "true" : "false",
                          (r->flags & NETPULSE_RECORD_PER_PEER) ? "true" : "false",
                          other_peers ? "true" : "false", other_peers ? r->retrans : 0);
}

static guint64
member_uint (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return 0;
  return (guint64) json_node_get_int (node);
}

static double
member_double (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0.0;
  return json_node_get_double (node);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return "";
  return json_node_get_string (node);
}

static guint32
member_flag (JsonObject *object,
             const char *name,
             guint32     flag)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return 0;
  return json_node_get_boolean (node) ? flag : 0;
}

/* Every numeric member, if present, must be a whole number that fits its
 * field: a wrong type or a value out of range is an error, not a 0 or a
 * wrapped number. */
static gboolean
check_numbers (JsonObject  *object,
               GError     **error)
{
  static const struct { const char *name; guint64 max; } fields[] = {
    { "ts_ns", G_MAXINT64 }, { "id", G_MAXINT64 }, { "pid", G_MAXUINT32 },
    { "uid", G_MAXUINT32 }, { "family", 6 }, { "lport", G_MAXUINT16 },
    { "rport", G_MAXUINT16 }, { "tx_bytes", G_MAXINT64 }, { "rx_bytes", G_MAXINT64 },
    { "tx_packets", G_MAXINT64 }, { "rx_packets", G_MAXINT64 }, { "rtt_us", G_MAXUINT32 },
    { "retrans", G_MAXUINT32 }, { "cgroup_id", G_MAXINT64 }, { "netns", G_MAXUINT32 },
    { "first_seen_ns", G_MAXINT64 }, { "last_seen_ns", G_MAXINT64 }, { "peers", G_MAXUINT32 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      JsonNode *node = json_object_get_member (object, fields[i].name);
      gint64 value;

      if (node == NULL)
        continue;
      if (json_node_get_value_type (node) != G_TYPE_INT64)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Member \"%s\" is not a whole number", fields[i].name);
          return FALSE;
        }
      value = json_node_get_int (node);
      if (value < 0 || (guint64) value > fields[i].max)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Member \"%s\" is out of range (%" G_GINT64_FORMAT ")", fields[i].name, value);
          return FALSE;
        }
    }
  return TRUE;
}

/* Whether @line is one JSON value: the top-level brackets close only at the
 * end (strings skipped). */
static gboolean
line_holds_one_value (const char *line)
{
  int depth = 0;
  gboolean in_string = FALSE, closed = FALSE;

  for (const char *p = line; *p; p++)
    {
      if (in_string)
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          else if (*p == '"')
            in_string = FALSE;
          continue;
        }
      if (g_ascii_isspace (*p))
        continue;
      if (closed)
        return FALSE;
      if (*p == '"')
        in_string = TRUE;
      else if (*p == '{' || *p == '[')
        depth++;
      else if ((*p == '}' || *p == ']') && --depth == 0)
        closed = TRUE;
    }
  return TRUE;
}

gboolean
netpulse_record_parse_json (NetpulseRecord  *r,
                            const char      *line,
                            guint64         *ts_ns,
                            GError         **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;
  JsonNode *root;

  g_assert (r != NULL);
  g_assert (line != NULL);

  if (!json_parser_load_from_data (parser, line, -1, error))
    return FALSE;

  /* json-glib keeps the first of several values on one line and drops the
   * rest silently: two records glued together must be an error. */
  if (!line_holds_one_value (line))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "More than one JSON value on one line");
      return FALSE;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Record is not a JSON object");
      return FALSE;
    }
  object = json_node_get_object (root);

  if (!json_object_has_member (object, "id") || !json_object_has_member (object, "proto"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Record lacks the \"id\" or \"proto\" member");
      return FALSE;
    }

  if (!check_numbers (object, error))
    return FALSE;

  memset (r, 0, sizeof *r);
  r->id = member_uint (object, "id");
  r->pid = member_uint (object, "pid");
  copy_utf8 (r->comm, member_string (object, "comm"), sizeof r->comm);
  r->uid = member_uint (object, "uid");
  r->proto = proto_from_name (member_string (object, "proto"));
  r->family = member_uint (object, "family");
  g_strlcpy (r->laddr, member_string (object, "laddr"), sizeof r->laddr);
  r->lport = member_uint (object, "lport");
  g_strlcpy (r->raddr, member_string (object, "raddr"), sizeof r->raddr);
  r->rport = member_uint (object, "rport");
  r->state = netpulse_tcp_state_from_name (member_string (object, "state"));
  r->tx_bytes = member_uint (object, "tx_bytes");
  r->rx_bytes = member_uint (object, "rx_bytes");
  r->tx_packets = member_uint (object, "tx_packets");
  r->rx_packets = member_uint (object, "rx_packets");
  r->tx_rate = member_double (object, "tx_rate");
  r->rx_rate = member_double (object, "rx_rate");
  r->rtt_us = member_uint (object, "rtt_us");
  r->retrans = member_uint (object, "retrans");
  r->cgroup_id = member_uint (object, "cgroup_id");
  r->netns = member_uint (object, "netns");
  r->first_seen_ns = member_uint (object, "first_seen_ns");
  r->last_seen_ns = member_uint (object, "last_seen_ns");
  r->flags = member_flag (object, "closed", NETPULSE_RECORD_CLOSED)
           | member_flag (object, "partial", NETPULSE_RECORD_PARTIAL)
           | member_flag (object, "per_peer", NETPULSE_RECORD_PER_PEER)
           | member_flag (object, "other_peers", NETPULSE_RECORD_OTHER_PEERS);
  /* In JSON the peers of an aggregate have a name of their own (see
   * netpulse_record_append_json()). */
  if (r->flags & NETPULSE_RECORD_OTHER_PEERS)
    r->retrans = member_uint (object, "peers");

  if (ts_ns != NULL)
    *ts_ns = member_uint (object, "ts_ns");

  return TRUE;
}

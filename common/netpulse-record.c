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
                                         record->peers),
                            record->peers);
  return netpulse_format_endpoint (record->raddr, record->rport);
}

char *
netpulse_format_bytes (guint64 bytes)
{
  /* Translators: units of data sizes, from bytes up */
  const char *units[] = { N_("B"), N_("KB"), N_("MB"), N_("GB"), N_("TB") };
  double value = bytes;
  guint unit = 0;

  while (value >= 1000.0 && unit + 1 < G_N_ELEMENTS (units))
    {
      value /= 1000.0;
      unit++;
    }

  if (unit == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " %s", bytes, _(units[0]));
  return g_strdup_printf ("%.1f %s", value, _(units[unit]));
}

char *
netpulse_format_rate (double   bytes_per_second,
                      gboolean bits)
{
  const char *byte_units[] = { N_("B/s"), N_("KB/s"), N_("MB/s"), N_("GB/s") };
  const char *bit_units[] = { N_("bit/s"), N_("kbit/s"), N_("Mbit/s"), N_("Gbit/s") };
  const char * const *units = bits ? bit_units : byte_units;
  double value = bits ? bytes_per_second * 8.0 : bytes_per_second;
  guint unit = 0;

  if (value < 0.0 || isnan (value))
    value = 0.0;

  while (value >= 1000.0 && unit + 1 < G_N_ELEMENTS (byte_units))
    {
      value /= 1000.0;
      unit++;
    }

  if (unit == 0)
    return g_strdup_printf ("%.0f %s", value, _(units[0]));
  return g_strdup_printf ("%.1f %s", value, _(units[unit]));
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

/* The field list (netpulse-record-fields.h), once more for code that
 * walks it at run time. */
static const NetpulseRecordField record_fields[] = {
#define FIELD_INFO(kind, name, max) { #name, NETPULSE_RECORD_SIG_##kind },
  NETPULSE_RECORD_FIELDS (FIELD_INFO)
#undef FIELD_INFO
};

const NetpulseRecordField *
netpulse_record_get_fields (guint *n_fields)
{
  if (n_fields != NULL)
    *n_fields = G_N_ELEMENTS (record_fields);
  return record_fields;
}

/* A command name is whatever bytes the process chose, cut by the kernel
 * possibly inside a character; D-Bus strings must be UTF-8.  Bad bytes
 * become U+FFFD, cut again at a whole character to what a record holds.
 * Almost every name is valid: copied as it is, without an allocation. */
static void
copy_valid_comm (char       *dest,
                 const char *comm)
{
  gsize len = strnlen (comm, NP_COMM_LEN);

  if (G_LIKELY (len < NP_COMM_LEN && g_utf8_validate (comm, len, NULL)))
    memcpy (dest, comm, len + 1);
  else
    {
      g_autofree char *valid = g_utf8_make_valid (comm, len);

      copy_utf8 (dest, valid, NP_COMM_LEN);
    }
}

/* GVariant: one g_variant_new() and one g_variant_get() with an argument
 * per field, as fast as the hand-written lists were (the helper converts
 * every changed record of every tick).  Strings are read in place ("&s")
 * and copied into the record's arrays, cut to what they hold. */
#define VARIANT_PREPARE_U64(name)
#define VARIANT_PREPARE_U32(name)
#define VARIANT_PREPARE_U16(name)
#define VARIANT_PREPARE_U8(name)
#define VARIANT_PREPARE_DOUBLE(name)
#define VARIANT_PREPARE_COMM(name)   char valid_##name[NP_COMM_LEN]; copy_valid_comm (valid_##name, r->name);
#define VARIANT_PREPARE_ADDR(name)
#define VARIANT_PREPARE_PROTO(name)
#define VARIANT_PREPARE_STATE(name)
#define VARIANT_PREPARE_FLAGS(name)
#define VARIANT_PREPARE(kind, name, max) VARIANT_PREPARE_##kind (name)

#define VARIANT_VALUE_U64(name)      , r->name
#define VARIANT_VALUE_U32(name)      , r->name
#define VARIANT_VALUE_U16(name)      , r->name
#define VARIANT_VALUE_U8(name)       , r->name
#define VARIANT_VALUE_DOUBLE(name)   , r->name
#define VARIANT_VALUE_COMM(name)     , valid_##name
#define VARIANT_VALUE_ADDR(name)     , r->name
#define VARIANT_VALUE_PROTO(name)    , r->name
#define VARIANT_VALUE_STATE(name)    , r->name
#define VARIANT_VALUE_FLAGS(name)    , r->name
#define VARIANT_VALUE(kind, name, max) VARIANT_VALUE_##kind (name)

GVariant *
netpulse_record_to_variant (const NetpulseRecord *r)
{
  g_assert (r != NULL);

  NETPULSE_RECORD_FIELDS (VARIANT_PREPARE)
  return g_variant_new (NETPULSE_RECORD_SIGNATURE NETPULSE_RECORD_FIELDS (VARIANT_VALUE));
}

#define VARIANT_GET_SIG_U64     "t"
#define VARIANT_GET_SIG_U32     "u"
#define VARIANT_GET_SIG_U16     "q"
#define VARIANT_GET_SIG_U8      "y"
#define VARIANT_GET_SIG_DOUBLE  "d"
#define VARIANT_GET_SIG_COMM    "&s"
#define VARIANT_GET_SIG_ADDR    "&s"
#define VARIANT_GET_SIG_PROTO   "y"
#define VARIANT_GET_SIG_STATE   "y"
#define VARIANT_GET_SIG_FLAGS   "u"
#define VARIANT_GET_SIG(kind, name, max) VARIANT_GET_SIG_##kind

#define VARIANT_LOCAL_U64(name)
#define VARIANT_LOCAL_U32(name)
#define VARIANT_LOCAL_U16(name)
#define VARIANT_LOCAL_U8(name)
#define VARIANT_LOCAL_DOUBLE(name)
#define VARIANT_LOCAL_COMM(name)     const char *text_##name = NULL;
#define VARIANT_LOCAL_ADDR(name)     const char *text_##name = NULL;
#define VARIANT_LOCAL_PROTO(name)
#define VARIANT_LOCAL_STATE(name)
#define VARIANT_LOCAL_FLAGS(name)
#define VARIANT_LOCAL(kind, name, max) VARIANT_LOCAL_##kind (name)

#define VARIANT_TARGET_U64(name)     , &r->name
#define VARIANT_TARGET_U32(name)     , &r->name
#define VARIANT_TARGET_U16(name)     , &r->name
#define VARIANT_TARGET_U8(name)      , &r->name
#define VARIANT_TARGET_DOUBLE(name)  , &r->name
#define VARIANT_TARGET_COMM(name)    , &text_##name
#define VARIANT_TARGET_ADDR(name)    , &text_##name
#define VARIANT_TARGET_PROTO(name)   , &r->name
#define VARIANT_TARGET_STATE(name)   , &r->name
#define VARIANT_TARGET_FLAGS(name)   , &r->name
#define VARIANT_TARGET(kind, name, max) VARIANT_TARGET_##kind (name)

#define VARIANT_STORE_U64(name)
#define VARIANT_STORE_U32(name)
#define VARIANT_STORE_U16(name)
#define VARIANT_STORE_U8(name)
#define VARIANT_STORE_DOUBLE(name)
#define VARIANT_STORE_COMM(name)     copy_utf8 (r->name, text_##name, sizeof r->name);
#define VARIANT_STORE_ADDR(name)     g_strlcpy (r->name, text_##name, sizeof r->name);
#define VARIANT_STORE_PROTO(name)
#define VARIANT_STORE_STATE(name)
#define VARIANT_STORE_FLAGS(name)
#define VARIANT_STORE(kind, name, max) VARIANT_STORE_##kind (name)

gboolean
netpulse_record_from_variant (NetpulseRecord  *r,
                              GVariant        *variant,
                              GError         **error)
{
  NETPULSE_RECORD_FIELDS (VARIANT_LOCAL)

  g_assert (r != NULL);

  if (variant == NULL || !g_variant_is_of_type (variant, NETPULSE_RECORD_TYPE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Record is not of type %s", NETPULSE_RECORD_SIGNATURE);
      return FALSE;
    }

  memset (r, 0, sizeof *r);
  g_variant_get (variant, "(" NETPULSE_RECORD_FIELDS (VARIANT_GET_SIG) ")"
                 NETPULSE_RECORD_FIELDS (VARIANT_TARGET));
  NETPULSE_RECORD_FIELDS (VARIANT_STORE)
  return TRUE;
}

/* JSON: one member per field, named as the field, in the field order, after
 * "ts_ns" (the sample time).  Strings are written by
 * netpulse_text_append_json_string(): valid JSON (a name that is not UTF-8
 * gets U+FFFD) and safe to print (a name that is a terminal escape or a
 * bidi override arrives as \uXXXX escapes, from which every reader gets it
 * back exactly). */
#define JSON_KEY(name) g_string_append (out, ",\"" #name "\":")
#define JSON_WRITE_U64(name)     JSON_KEY (name); g_string_append_printf (out, "%" G_GUINT64_FORMAT, (guint64) r->name);
#define JSON_WRITE_U32(name)     JSON_KEY (name); g_string_append_printf (out, "%u", (guint) r->name);
#define JSON_WRITE_U16(name)     JSON_WRITE_U32 (name)
#define JSON_WRITE_U8(name)      JSON_WRITE_U32 (name)
#define JSON_WRITE_DOUBLE(name)  JSON_KEY (name); g_string_append_printf (out, "%.1f", r->name);
#define JSON_WRITE_COMM(name)    JSON_KEY (name); netpulse_text_append_json_string (out, r->name);
#define JSON_WRITE_ADDR(name)    JSON_WRITE_COMM (name)
#define JSON_WRITE_PROTO(name)   JSON_KEY (name); json_append_name (out, netpulse_proto_name (r->name));
#define JSON_WRITE_STATE(name)   JSON_KEY (name); json_append_name (out, netpulse_tcp_state_name (r->name));
#define JSON_WRITE_FLAG(NAME, json, bit) \
  JSON_KEY (json); g_string_append (out, (r->flags & NETPULSE_RECORD_##NAME) ? "true" : "false");
#define JSON_WRITE_FLAGS(name)   NETPULSE_RECORD_FLAG_LIST (JSON_WRITE_FLAG)
#define JSON_WRITE(kind, name, max) JSON_WRITE_##kind (name)

/* A name of ours (a protocol, a TCP state): plain ASCII, no escaping. */
static void
json_append_name (GString    *out,
                  const char *name)
{
  g_string_append_c (out, '"');
  g_string_append (out, name);
  g_string_append_c (out, '"');
}

void
netpulse_record_append_json (const NetpulseRecord *r,
                             guint64               ts_ns,
                             GString              *out)
{
  g_assert (r != NULL);
  g_assert (out != NULL);

  g_string_append_printf (out, "{\"ts_ns\":%" G_GUINT64_FORMAT, ts_ns);
  NETPULSE_RECORD_FIELDS (JSON_WRITE)
  g_string_append_c (out, '}');
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

#define JSON_READ_U64(name)      r->name = member_uint (object, #name);
#define JSON_READ_U32(name)      JSON_READ_U64 (name)
#define JSON_READ_U16(name)      JSON_READ_U64 (name)
#define JSON_READ_U8(name)       JSON_READ_U64 (name)
#define JSON_READ_DOUBLE(name)   r->name = member_double (object, #name);
#define JSON_READ_COMM(name)     copy_utf8 (r->name, member_string (object, #name), sizeof r->name);
#define JSON_READ_ADDR(name)     g_strlcpy (r->name, member_string (object, #name), sizeof r->name);
#define JSON_READ_PROTO(name)    r->name = proto_from_name (member_string (object, #name));
#define JSON_READ_STATE(name)    r->name = netpulse_tcp_state_from_name (member_string (object, #name));
#define JSON_READ_FLAG(NAME, json, bit) r->flags |= member_flag (object, #json, NETPULSE_RECORD_##NAME);
#define JSON_READ_FLAGS(name)    NETPULSE_RECORD_FLAG_LIST (JSON_READ_FLAG)
#define JSON_READ(kind, name, max) JSON_READ_##kind (name)

static void
read_members (NetpulseRecord *r,
              JsonObject     *object)
{
  memset (r, 0, sizeof *r);
  NETPULSE_RECORD_FIELDS (JSON_READ)
}

/* The integer members and their largest values. */
#define JSON_RANGE_U64(name, max)    { #name, max },
#define JSON_RANGE_U32(name, max)    JSON_RANGE_U64 (name, max)
#define JSON_RANGE_U16(name, max)    JSON_RANGE_U64 (name, max)
#define JSON_RANGE_U8(name, max)     JSON_RANGE_U64 (name, max)
#define JSON_RANGE_DOUBLE(name, max)
#define JSON_RANGE_COMM(name, max)
#define JSON_RANGE_ADDR(name, max)
#define JSON_RANGE_PROTO(name, max)
#define JSON_RANGE_STATE(name, max)
#define JSON_RANGE_FLAGS(name, max)
#define JSON_RANGE(kind, name, max) JSON_RANGE_##kind (name, max)

static const struct { const char *name; guint64 max; } json_ranges[] = {
  { "ts_ns", G_MAXINT64 },
  NETPULSE_RECORD_FIELDS (JSON_RANGE)
};

/* Every numeric member, if present, must be a whole number that fits its
 * field: a wrong type or a value out of range is an error, not a 0 or a
 * wrapped number. */
static gboolean
check_numbers (JsonObject  *object,
               GError     **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (json_ranges); i++)
    {
      JsonNode *node = json_object_get_member (object, json_ranges[i].name);
      gint64 value;

      if (node == NULL)
        continue;
      if (json_node_get_value_type (node) != G_TYPE_INT64)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Member \"%s\" is not a whole number", json_ranges[i].name);
          return FALSE;
        }
      value = json_node_get_int (node);
      if (value < 0 || (guint64) value > json_ranges[i].max)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "Member \"%s\" is out of range (%" G_GINT64_FORMAT ")", json_ranges[i].name, value);
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

  read_members (r, object);

  if (ts_ns != NULL)
    *ts_ns = member_uint (object, "ts_ns");

  return TRUE;
}

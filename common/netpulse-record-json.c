/* netpulse-record-json.c — a record as one JSON object per line, both
 * ways, from the field table (netpulse-record-fields.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-record"

#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "netpulse-record.h"
#include "netpulse-record-private.h"
#include "netpulse-text.h"

/* The number of a protocol name; the flags it implies (RAW, PACKET,
 * MPTCP) are members of their own too, read with the flags. */
static guint8
proto_from_name (const char *name)
{
  guint32 flags;
  guint8 proto;

  netpulse_proto_from_name (name, &proto, &flags);
  return proto;
}

/* JSON: one member per field, named as the field, in the field order, after
 * "ts_ns" (the sample time).  Strings are written by
 * netpulse_text_append_json_string(): valid JSON (a name that is not UTF-8
 * gets U+FFFD) and safe to print (a name that is a terminal escape or a
 * bidi override arrives as \uXXXX escapes, from which every reader gets it
 * back exactly). */
#define JSON_KEY(name) g_string_append_len (out, ",\"" #name "\":", sizeof ",\"" #name "\":" - 1)
#define JSON_WRITE_U64(name)     JSON_KEY (name); json_append_u64 (out, (guint64) r->name);
#define JSON_WRITE_U32(name)     JSON_WRITE_U64 (name)
#define JSON_WRITE_U16(name)     JSON_WRITE_U64 (name)
#define JSON_WRITE_U8(name)      JSON_WRITE_U64 (name)
#define JSON_WRITE_DOUBLE(name)  JSON_KEY (name); json_append_tenths (out, r->name);
#define JSON_WRITE_COMM(name)    JSON_KEY (name); netpulse_text_append_json_string (out, r->name);
#define JSON_WRITE_TEXT(name)    JSON_WRITE_COMM (name)
#define JSON_WRITE_ADDR(name)    JSON_WRITE_COMM (name)
#define JSON_WRITE_APPKIND(name) JSON_KEY (name); json_append_name (out, netpulse_app_kind_name (r->name));
#define JSON_WRITE_PROTO(name)   JSON_KEY (name); json_append_name (out, netpulse_record_proto_name (r));
#define JSON_WRITE_STATE(name)   JSON_KEY (name); json_append_name (out, netpulse_tcp_state_name (r->name));
#define JSON_WRITE_FLAG(NAME, json, bit) \
  JSON_KEY (json); g_string_append (out, (r->flags & NETPULSE_RECORD_##NAME) ? "true" : "false");
#define JSON_WRITE_FLAGS(name)   NETPULSE_RECORD_FLAG_LIST (JSON_WRITE_FLAG)
#define JSON_WRITE(kind, name, max) JSON_WRITE_##kind (name)

/* Numbers without printf: a record has two dozen of them, and the
 * standalone helper prints every record of every tick (under connection
 * churn, printf was half of its CPU). */
static void
json_append_u64 (GString *out,
                 guint64  value)
{
  char digits[20];
  guint n = 0;

  do
    {
      digits[sizeof digits - ++n] = (char) ('0' + value % 10);
      value /= 10;
    }
  while (value != 0);
  g_string_append_len (out, digits + sizeof digits - n, n);
}

/* As printf's "%.1f" writes it.  The fast path rounds value × 10 to an
 * integer, which is what printf does with the exact value unless the
 * product sits near a half: below 2^40 the product is off by at most
 * 2^-13, so a fraction more than 1/1000 away from .5 rounds the same way.
 * Those near a half, negative, huge and non-finite values go to printf. */
#define TENTHS_FAST_LIMIT 1099511627776.0   /* 2^40 */

static void
json_append_tenths (GString *out,
                    double   value)
{
  double tenths = value * 10.0;
  double whole, fraction;
  guint64 rounded;

  if (signbit (value) || !(tenths < TENTHS_FAST_LIMIT))
    {
      g_string_append_printf (out, "%.1f", value);
      return;
    }
  fraction = modf (tenths, &whole);
  if (fabs (fraction - 0.5) < 1e-3)
    {
      g_string_append_printf (out, "%.1f", value);
      return;
    }
  rounded = (guint64) whole + (fraction > 0.5 ? 1 : 0);
  json_append_u64 (out, rounded / 10);
  g_string_append_c (out, '.');
  g_string_append_c (out, (char) ('0' + rounded % 10));
}

/* A name of ours (a protocol, a TCP state, an application kind): plain ASCII, no escaping. */
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

  g_string_append (out, "{\"ts_ns\":");
  json_append_u64 (out, ts_ns);
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
#define JSON_READ_COMM(name)     netpulse_record_copy_utf8 (r->name, member_string (object, #name), sizeof r->name);
#define JSON_READ_TEXT(name)     JSON_READ_COMM (name)
#define JSON_READ_APPKIND(name)  r->name = netpulse_app_kind_from_name (member_string (object, #name));
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
#define JSON_RANGE_TEXT(name, max)
#define JSON_RANGE_APPKIND(name, max)
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

/* netpulse-record.c — names, addresses, sizes and rates of a record, and
 * its GVariant form (generated from netpulse-record-fields.h).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define G_LOG_DOMAIN "netpulse-record"

#include "config.h"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "netpulse-record.h"
#include "netpulse-record-private.h"

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

/* Protocol numbers as /etc/protocols has them, names as ss(8) and
 * picosnitch show them. */
static const struct {
  guint8      proto;
  const char *name;
} proto_names[] = {
  { 6,   "tcp" },
  { 17,  "udp" },
  { 1,   "icmp" },
  { 58,  "icmp6" },
  { 132, "sctp" },
  { 136, "udplite" },
};

/* "ip/N" and "raw/N" for every N: built once, never freed. */
static const char *
numbered_name (const char *prefix,
               guint8      proto)
{
  g_autofree char *name = g_strdup_printf ("%s/%u", prefix, (guint) proto);

  return g_intern_string (name);
}

const char *
netpulse_proto_name (guint8 proto)
{
  for (guint i = 0; i < G_N_ELEMENTS (proto_names); i++)
    if (proto_names[i].proto == proto)
      return proto_names[i].name;
  return numbered_name ("ip", proto);
}

const char *
netpulse_record_proto_name (const NetpulseRecord *record)
{
  if (record->flags & NETPULSE_RECORD_PACKET)
    return "packet";
  if (record->flags & NETPULSE_RECORD_MPTCP)
    return "mptcp";
  if (record->flags & NETPULSE_RECORD_RAW)
    return numbered_name ("raw", record->proto);
  return netpulse_proto_name (record->proto);
}

static gboolean
parse_proto_number (const char *text,
                    guint8     *proto)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT8, &value, NULL))
    return FALSE;
  *proto = value;
  return TRUE;
}

gboolean
netpulse_proto_from_name (const char *name,
                          guint8     *proto,
                          guint32    *flags)
{
  *flags = 0;
  *proto = 0;
  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (proto_names); i++)
    if (g_str_equal (proto_names[i].name, name))
      {
        *proto = proto_names[i].proto;
        return TRUE;
      }
  if (g_str_equal (name, "packet"))
    {
      *flags = NETPULSE_RECORD_PACKET;
      return TRUE;
    }
  if (g_str_equal (name, "mptcp"))
    {
      *proto = 6;
      *flags = NETPULSE_RECORD_MPTCP;
      return TRUE;
    }
  if (g_str_has_prefix (name, "raw/"))
    {
      *flags = NETPULSE_RECORD_RAW;
      return parse_proto_number (name + 4, proto);
    }
  return g_str_has_prefix (name, "ip/") && parse_proto_number (name + 3, proto);
}

static const char * const app_kind_names[] = {
#define APP_KIND_NAME(NAME, json, value) [value] = #json,
  NETPULSE_APP_KIND_LIST (APP_KIND_NAME)
#undef APP_KIND_NAME
};

const char *
netpulse_app_kind_name (guint8 kind)
{
  if (kind < G_N_ELEMENTS (app_kind_names) && app_kind_names[kind] != NULL)
    return app_kind_names[kind];
  return app_kind_names[NETPULSE_APP_KIND_PROCESS];
}

guint8
netpulse_app_kind_from_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (app_kind_names); i++)
    if (g_strcmp0 (app_kind_names[i], name) == 0)
      return i;
  return NETPULSE_APP_KIND_PROCESS;
}

/* What inet_ntop() writes for IPv4, without its sprintf(): the helper
 * formats every address of every connection it takes in at start-up. */
static void
format_ipv4 (const guint8 *addr,
             char         *buf)
{
  char *p = buf;

  for (guint i = 0; i < 4; i++)
    {
      guint v = addr[i];

      if (i > 0)
        *p++ = '.';
      if (v >= 100)
        *p++ = (char) ('0' + v / 100);
      if (v >= 10)
        *p++ = (char) ('0' + v / 10 % 10);
      *p++ = (char) ('0' + v % 10);
    }
  *p = '\0';
}

const char *
netpulse_format_address (guint8        family,
                         const guint8 *addr,
                         char         *buf)
{
  g_assert (addr != NULL);
  g_assert (buf != NULL);

  if (family == 4)
    format_ipv4 (addr, buf);
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

double
netpulse_compute_rate (guint64 previous,
                       guint64 current,
                       guint64 interval_ns)
{
  if (interval_ns == 0 || current < previous)
    return 0.0;
  return (double) (current - previous) * 1e9 / (double) interval_ns;
}

void
netpulse_record_copy_utf8 (char       *dest,
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

/* A command name (or an executable's path, a command line) is whatever
 * bytes the process chose, cut by the kernel possibly inside a character;
 * D-Bus strings must be UTF-8.  Bad bytes become U+FFFD, cut again at a
 * whole character to what a record holds (@size bytes).  Almost every text
 * is valid: copied as it is, without an allocation. */
gsize
netpulse_record_copy_valid_text (char       *dest,
                                 const char *text,
                                 gsize       size)
{
  gsize len = strnlen (text, size);

  if (G_LIKELY (len < size && g_utf8_validate (text, len, NULL)))
    {
      memcpy (dest, text, len + 1);
      return len;
    }
  else
    {
      g_autofree char *valid = g_utf8_make_valid (text, len);

      netpulse_record_copy_utf8 (dest, valid, size);
      return strlen (dest);
    }
}

/* GVariant: one g_variant_new() and one g_variant_get() with an argument
 * per field, as fast as the hand-written lists were (the helper converts
 * every changed record of every tick).  A number travels as it is; a
 * string (COMM, TEXT, ADDR) through a pointer: to the text made valid
 * UTF-8 on the way out, into the variant ("&s") on the way in, copied into
 * the record's array and cut to what it holds. */
#define VARIANT_PREPARE_NUM(kind, name)
#define VARIANT_PREPARE_TEXT(kind, name)  char valid_##name[sizeof r->name]; netpulse_record_copy_valid_text (valid_##name, r->name, sizeof r->name);
#define VARIANT_PREPARE_ADDR(kind, name)
#define VARIANT_VALUE_NUM(kind, name)     , r->name
#define VARIANT_VALUE_TEXT(kind, name)    , valid_##name
#define VARIANT_VALUE_ADDR(kind, name)    , r->name
#define VARIANT_GET_SIG_NUM(kind, name)   NETPULSE_RECORD_SIG_##kind
#define VARIANT_GET_SIG_TEXT(kind, name)  "&s"
#define VARIANT_GET_SIG_ADDR(kind, name)  "&s"
#define VARIANT_LOCAL_NUM(kind, name)
#define VARIANT_LOCAL_TEXT(kind, name)    const char *text_##name = NULL;
#define VARIANT_LOCAL_ADDR(kind, name)    const char *text_##name = NULL;
#define VARIANT_TARGET_NUM(kind, name)    , &r->name
#define VARIANT_TARGET_TEXT(kind, name)   , &text_##name
#define VARIANT_TARGET_ADDR(kind, name)   , &text_##name
#define VARIANT_STORE_NUM(kind, name)
#define VARIANT_STORE_TEXT(kind, name)    netpulse_record_copy_utf8 (r->name, text_##name, sizeof r->name);
#define VARIANT_STORE_ADDR(kind, name)    g_strlcpy (r->name, text_##name, sizeof r->name);

#define VARIANT_PREPARE(kind, name, max)  NETPULSE_RECORD_BY_CLASS (VARIANT_PREPARE, kind, name)
#define VARIANT_VALUE(kind, name, max)    NETPULSE_RECORD_BY_CLASS (VARIANT_VALUE, kind, name)
#define VARIANT_GET_SIG(kind, name, max)  NETPULSE_RECORD_BY_CLASS (VARIANT_GET_SIG, kind, name)
#define VARIANT_LOCAL(kind, name, max)    NETPULSE_RECORD_BY_CLASS (VARIANT_LOCAL, kind, name)
#define VARIANT_TARGET(kind, name, max)   NETPULSE_RECORD_BY_CLASS (VARIANT_TARGET, kind, name)
#define VARIANT_STORE(kind, name, max)    NETPULSE_RECORD_BY_CLASS (VARIANT_STORE, kind, name)

GVariant *
netpulse_record_to_variant (const NetpulseRecord *r)
{
  g_assert (r != NULL);

  NETPULSE_RECORD_FIELDS (VARIANT_PREPARE)
  return g_variant_new (NETPULSE_RECORD_SIGNATURE NETPULSE_RECORD_FIELDS (VARIANT_VALUE));
}

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

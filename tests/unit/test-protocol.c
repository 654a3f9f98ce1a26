/* test-protocol.c — the introspection XML and the code agree on the record:
 * the interface's RecordSignature annotation, the record and frame types
 * and the field list documented in the XML's comment, against
 * common/netpulse-record-fields.h.  Also the names of netpulse-protocol.h
 * against meson's (config.h).
 *
 * Adding a field to the table without documenting it in the XML (or the
 * other way round) fails here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "netpulse-frame.h"
#include "netpulse-helper1-generated.h"
#include "netpulse-protocol.h"
#include "netpulse-record.h"

#define RECORD_SIGNATURE_ANNOTATION NETPULSE_HELPER_INTERFACE ".RecordSignature"

static char *
read_xml (void)
{
  const char *root = g_getenv ("NETPULSE_SOURCE_ROOT");
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  /* Set by tests/meson.build: a test that cannot find the XML fails. */
  g_assert_nonnull (root);
  path = g_build_filename (root, "data", NETPULSE_HELPER_INTERFACE ".xml", NULL);
  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

/* The XML as GDBus reads it: the interface carries the record's signature
 * in an annotation; the code generator keeps it too. */
static void
test_annotation (void)
{
  g_autofree char *xml = read_xml ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (xml, &error);
  GDBusInterfaceInfo *interface;
  GDBusInterfaceInfo *generated = netpulse_helper1_interface_info ();
  const char *value;

  g_assert_no_error (error);
  interface = g_dbus_node_info_lookup_interface (node, NETPULSE_HELPER_INTERFACE);
  g_assert_nonnull (interface);
  value = g_dbus_annotation_info_lookup (interface->annotations, RECORD_SIGNATURE_ANNOTATION);
  g_assert_cmpstr (value, ==, NETPULSE_RECORD_SIGNATURE);
  g_assert_true (g_variant_type_string_is_valid (value));

  g_assert_cmpstr (generated->name, ==, NETPULSE_HELPER_INTERFACE);
  g_assert_cmpstr (g_dbus_annotation_info_lookup (generated->annotations, RECORD_SIGNATURE_ANNOTATION),
                   ==, NETPULSE_RECORD_SIGNATURE);
}

/* What the XML's comment says, as a reader of the documentation sees it. */
static void
test_documented_types (void)
{
  g_autofree char *xml = read_xml ();
  g_autoptr(GRegex) frame_re = g_regex_new ("of type (\\(tt\\S*\\)):", 0, 0, NULL);
  g_autoptr(GRegex) record_re = g_regex_new ("The connection record, signature\\s+(\\(\\S*\\)),", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autofree char *frame = NULL;
  g_autofree char *record = NULL;

  g_assert_true (g_regex_match (frame_re, xml, 0, &match));
  frame = g_match_info_fetch (match, 1);
  g_assert_cmpstr (frame, ==, NETPULSE_FRAME_SIGNATURE);
  g_clear_pointer (&match, g_match_info_unref);

  g_assert_true (g_regex_match (record_re, xml, 0, &match));
  record = g_match_info_fetch (match, 1);
  g_assert_cmpstr (record, ==, NETPULSE_RECORD_SIGNATURE);
}

/* The documented field list ("    t id   …" lines after "has these fields,
 * in order", up to the first blank line): the table's names and types, in
 * its order. */
static void
test_documented_fields (void)
{
  g_autofree char *xml = read_xml ();
  g_autoptr(GRegex) field_re = g_regex_new ("^    ([a-z]) ([a-z_]+) ", 0, 0, NULL);
  const char *start = strstr (xml, "has these fields, in order");
  const char *end;
  g_auto(GStrv) lines = NULL;
  g_autofree char *list = NULL;
  const NetpulseRecordField *fields;
  guint n_fields, n = 0;

  g_assert_nonnull (start);
  end = strstr (start, "\n\n");
  g_assert_nonnull (end);
  list = g_strndup (start, end - start);
  lines = g_strsplit (list, "\n", -1);
  fields = netpulse_record_get_fields (&n_fields);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GMatchInfo) match = NULL;
      g_autofree char *type = NULL;
      g_autofree char *name = NULL;

      if (!g_regex_match (field_re, lines[i], 0, &match))
        continue;
      type = g_match_info_fetch (match, 1);
      name = g_match_info_fetch (match, 2);
      g_test_message ("documented: %s %s", type, name);
      g_assert_cmpuint (n, <, n_fields);
      g_assert_cmpstr (name, ==, fields[n].name);
      g_assert_cmpstr (type, ==, fields[n].signature);
      n++;
    }
  g_assert_cmpuint (n, ==, n_fields);
}

/* The table's list and the signature built from it agree. */
static void
test_fields_signature (void)
{
  g_autoptr(GString) signature = g_string_new ("(");
  const NetpulseRecordField *fields;
  guint n_fields;

  fields = netpulse_record_get_fields (&n_fields);
  for (guint i = 0; i < n_fields; i++)
    g_string_append (signature, fields[i].signature);
  g_string_append_c (signature, ')');
  g_assert_cmpstr (signature->str, ==, NETPULSE_RECORD_SIGNATURE);
  g_assert_true (g_variant_type_string_is_valid (NETPULSE_FRAME_SIGNATURE));
}

/* meson.build passes the same names to the installed files (bus policy,
 * activation file) and to config.h. */
static void
test_names (void)
{
  g_assert_cmpstr (HELPER_BUS_NAME, ==, NETPULSE_HELPER_BUS_NAME);
  g_assert_cmpstr (HELPER_OBJECT_PATH, ==, NETPULSE_HELPER_OBJECT_PATH);
  g_assert_true (g_dbus_is_name (NETPULSE_HELPER_BUS_NAME));
  g_assert_true (g_dbus_is_interface_name (NETPULSE_HELPER_INTERFACE));
  g_assert_true (g_variant_is_object_path (NETPULSE_HELPER_OBJECT_PATH));
  g_assert_cmpuint (NETPULSE_INTERVAL_MIN_MS, <=, NETPULSE_INTERVAL_DEFAULT_MS);
  g_assert_cmpuint (NETPULSE_INTERVAL_DEFAULT_MS, <=, NETPULSE_INTERVAL_MAX_MS);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/xml/annotation", test_annotation);
  g_test_add_func ("/protocol/xml/documented-types", test_documented_types);
  g_test_add_func ("/protocol/xml/documented-fields", test_documented_fields);
  g_test_add_func ("/protocol/fields-signature", test_fields_signature);
  g_test_add_func ("/protocol/names", test_names);

  return g_test_run ();
}

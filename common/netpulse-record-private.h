/* netpulse-record-private.h — shared by the record's GVariant
 * (netpulse-record.c) and JSON (netpulse-record-json.c) forms.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#pragma once

#include <glib.h>

#include "netpulse-record-fields.h"

G_BEGIN_DECLS

/* The ways a field is held in C: a number as it is, a text (the command
 * name, the executable, …: made valid UTF-8 on the way out), an address (text).
 * NETPULSE_RECORD_BY_CLASS (STEP, KIND, name) expands STEP_<class> (KIND,
 * name), so that a conversion step is written once per class rather than
 * once per kind. */
#define NETPULSE_RECORD_CLASS_U64     NUM
#define NETPULSE_RECORD_CLASS_U32     NUM
#define NETPULSE_RECORD_CLASS_U16     NUM
#define NETPULSE_RECORD_CLASS_U8      NUM
#define NETPULSE_RECORD_CLASS_DOUBLE  NUM
#define NETPULSE_RECORD_CLASS_COMM    TEXT
#define NETPULSE_RECORD_CLASS_TEXT    TEXT
#define NETPULSE_RECORD_CLASS_APPKIND NUM
#define NETPULSE_RECORD_CLASS_ADDR    ADDR
#define NETPULSE_RECORD_CLASS_PROTO   NUM
#define NETPULSE_RECORD_CLASS_STATE   NUM
#define NETPULSE_RECORD_CLASS_FLAGS   NUM
#define NETPULSE_RECORD_BY_CLASS(step, kind, name) \
  NETPULSE_RECORD_BY_CLASS_ (step, NETPULSE_RECORD_CLASS_##kind, kind, name)
#define NETPULSE_RECORD_BY_CLASS_(step, class, kind, name) \
  NETPULSE_RECORD_BY_CLASS__ (step, class, kind, name)
#define NETPULSE_RECORD_BY_CLASS__(step, class, kind, name) step##_##class (kind, name)

/* The record's GVariant serialisation, for its writer and its reader: a
 * record is aligned to its widest number; every text but a last field
 * has a framing offset. */
#define NETPULSE_RECORD_ALIGNMENT 8
#define NETPULSE_RECORD_COUNT_TEXT_NUM(kind, name)
#define NETPULSE_RECORD_COUNT_TEXT_TEXT(kind, name) + 1
#define NETPULSE_RECORD_COUNT_TEXT_ADDR(kind, name) + 1
#define NETPULSE_RECORD_COUNT_TEXT(kind, name, max) NETPULSE_RECORD_BY_CLASS (NETPULSE_RECORD_COUNT_TEXT, kind, name)
#define NETPULSE_RECORD_N_TEXTS (0 NETPULSE_RECORD_FIELDS (NETPULSE_RECORD_COUNT_TEXT))
#define NETPULSE_RECORD_LAST_TEXT_NUM(kind, name)  last_is_text = FALSE;
#define NETPULSE_RECORD_LAST_TEXT_TEXT(kind, name) last_is_text = TRUE;
#define NETPULSE_RECORD_LAST_TEXT_ADDR(kind, name) last_is_text = TRUE;
#define NETPULSE_RECORD_LAST_TEXT(kind, name, max) NETPULSE_RECORD_BY_CLASS (NETPULSE_RECORD_LAST_TEXT, kind, name)

/* How many framing offsets a record has (a constant the compiler folds). */
static inline guint
netpulse_record_n_text_offsets (void)
{
  gboolean last_is_text = FALSE;

  NETPULSE_RECORD_FIELDS (NETPULSE_RECORD_LAST_TEXT)
  return NETPULSE_RECORD_N_TEXTS - (last_is_text ? 1 : 0);
}

/* Like g_strlcpy(), but never cuts a UTF-8 character in two: a command name
 * made valid (each bad byte becomes a 3-byte U+FFFD) can be longer than the
 * record holds. */
void netpulse_record_copy_utf8 (char       *dest,
                                const char *src,
                                gsize       size);

/* Copies @text (at most @size bytes, NUL included) into @dest made valid
 * UTF-8 and cut at a whole character to @size bytes; its length. */
gsize netpulse_record_copy_valid_text (char       *dest,
                                       const char *text,
                                       gsize       size);

G_END_DECLS

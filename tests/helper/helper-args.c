/* helper-args.c
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "config.h"

#include <stdlib.h>

#include "helper-args.h"

guint
helper_args_parse_uint (const char *program,
                        const char *text)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL))
    {
      g_printerr ("%s: not a number: %s\n", program, text);
      exit (1);
    }
  return (guint) value;
}

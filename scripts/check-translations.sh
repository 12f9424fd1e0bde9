#!/usr/bin/env bash
# Fail when a Polish msgstr is empty or fuzzy after makemessages (CONTRIBUTING.md, "Translations").
#
# Runs makemessages for pl and en (ignoring .venv, var and tests) on a temporary copy of the tracked
# files (and new files not ignored), so the worktree is never changed, then lists every live Polish entry with an empty or fuzzy
# msgstr and exits 1 if there is any. Needs gettext (msgattrib, msgmerge) and the virtualenv (.venv or
# $BIURKO_VENV): `python3 dev.py setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${BIURKO_VENV:-$ROOT/.venv}

for tool in msgattrib msgmerge xgettext; do
  command -v "$tool" >/dev/null 2>&1 || { echo "check-translations: $tool not found (apt-get install gettext)"; exit 2; }
done

copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
# The tracked files and the new ones not ignored (a new template must be translated before it is committed).
{ git ls-files -z; git ls-files -z --others --exclude-standard; } | tar --null -T - -cf - 2>/dev/null \
  | tar -xf - -C "$copy"

# makemessages only reads the sources and never connects: a DATABASE_URL keeps the settings from starting
# the embedded PostgreSQL in the copy.
(cd "$copy" && DATABASE_URL=postgres://nobody@127.0.0.1:1/none "$VENV/bin/python" manage.py makemessages \
  -l pl -l en --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' >/dev/null)

po="$copy/locale/pl/LC_MESSAGES/django.po"
# The header (msgid "") is gettext's own entry, not a UI string.
untranslated=$(msgattrib --untranslated --no-obsolete --no-wrap "$po" | grep -E '^msgid "' | grep -v '^msgid ""$' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete --no-wrap "$po" | grep -E '^msgid "' | grep -v '^msgid ""$' || true)

status=0
if [ -n "$untranslated" ]; then
  echo "Polish msgstr empty for:"; echo "$untranslated" | sed 's/^/  /'; status=1
fi
if [ -n "$fuzzy" ]; then
  echo "Polish msgstr fuzzy (check and clear the flag) for:"; echo "$fuzzy" | sed 's/^/  /'; status=1
fi
[ "$status" -eq 0 ] && echo "translations OK: every Polish msgstr is filled and none is fuzzy"
exit "$status"

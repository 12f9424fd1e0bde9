"""libxml2's XML Schema messages → a sentence a bookkeeper can read and pass on to the program's vendor.

libxml2 reports schema violations in English and in terms of its own grammar ("is not a valid value of the
atomic type …"). The user needs three things: which element, what is wrong with it (in their language), and
something exact to forward to whoever wrote the program that produced the file. So the known message shapes
are translated, the element and line are named first, and the original sentence is kept at the end for the
vendor. Unknown shapes fall back to the original sentence (still with element and line).
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

# "{http://crd.gov.pl/wzor/…}P_51" → "P_51"; only namespace URIs, never a pattern's "{7}" or a set "{'1'}".
_CLARK = re.compile(r"\{[A-Za-z][A-Za-z0-9+.-]*:[^{}\s]*\}")
_SUBJECT = re.compile(r"^Element '(?P<element>[^']+)'(?:, attribute '(?P<attribute>[^']+)')?: (?P<rest>.*)$", re.S)


def strip_ns(text: str) -> str:
    return _CLARK.sub("", text)


def _expected(rest: str) -> str:
    match = re.search(r"Expected is (?:one of )?\( (.*?) \)", rest)
    return match.group(1) if match else ""


def _explain(rest: str) -> str:
    """The violation itself, translated when its shape is known; "" when it is not."""
    rules = (
        (r"'(?P<value>[^']*)' is not a valid value of the (?:atomic|list|union) type '(?P<type>[^']*)'",
         lambda m: _("the value “%(value)s” is not allowed here (expected type %(type)s)") % m),
        (r"This element is not expected",
         lambda m: (_("this element is not expected here; expected: %(expected)s")
                    % {"expected": _expected(rest)}) if _expected(rest) else _("this element is not expected here")),
        (r"Missing child element\(s\)",
         lambda m: _("a required element is missing inside it: %(expected)s") % {"expected": _expected(rest)}),
        (r"\[facet 'enumeration'\] The value '(?P<value>[^']*)' is not an element of the set \{(?P<set>.*)\}",
         lambda m: _("the value “%(value)s” is not one of the allowed values (%(set)s)") % m),
        (r"\[facet 'pattern'\] The value '(?P<value>[^']*)' is not accepted by the pattern",
         lambda m: _("the value “%(value)s” does not have the required format") % m),
        (r"\[facet '(?:min|max)(?:In|Ex)clusive'\] The value '(?P<value>[^']*)' is (?:less|greater) than the "
         r"(?:minimum|maximum) value allowed \('(?P<limit>[^']*)'\)",
         lambda m: _("the value “%(value)s” is outside the allowed range (limit: %(limit)s)") % m),
        (r"\[facet '(?:maxLength|minLength|length)'\] The value has a length of '(?P<length>\d+)'.*?"
         r"length of '(?P<limit>\d+)'",
         lambda m: _("the text has %(length)s characters; allowed: %(limit)s") % m),
        (r"\[facet '(?:totalDigits|fractionDigits)'\] The value '(?P<value>[^']*)'",
         lambda m: _("the value “%(value)s” has too many digits") % m),
        (r"The value '(?P<value>[^']*)' does not match the fixed value constraint '(?P<fixed>[^']*)'",
         lambda m: _("the value “%(value)s” must be “%(fixed)s”") % m),
        (r"The attribute '(?P<attribute>[^']*)' is required but missing",
         lambda m: _("its required attribute %(attribute)s is missing") % m),
        (r"The attribute '(?P<attribute>[^']*)' is not allowed",
         lambda m: _("the attribute %(attribute)s is not allowed here") % m),
        (r"Character content other than whitespace is not allowed",
         lambda m: _("it holds text where only other elements are allowed")),
        (r"No matching global declaration available for the validation root",
         lambda m: _("the file's root element is not the one the schema defines")),
    )
    for pattern, render in rules:
        match = re.search(pattern, rest, re.S)
        if match:
            return render(match.groupdict())
    return ""


def schema_error_message(variant: str, original: str, line: int | None = None, where: str = "") -> str:
    """``The JPK_V7M(3) file does not match its schema: line 3, element P_51: the value “12.5” is not allowed…``"""
    original = strip_ns(original.strip())[:500]
    subject = _SUBJECT.match(original)
    element = subject.group("element") if subject else ""
    if subject and subject.group("attribute"):
        element = f"{element}/@{subject.group('attribute')}"
    explanation = _explain(subject.group("rest") if subject else original)
    context, where = where, []
    if line:
        where.append(_("line %(line)s") % {"line": line})
    if element:
        where.append(_("element %(element)s") % {"element": element})
    if context:
        where.append(_("in %(context)s") % {"context": context})
    return _("The %(variant)s file does not match its official schema (%(where)s): %(what)s. Pass this message "
             "to the vendor of the program that produced the file. Technical detail: %(original)s") % {
        "variant": variant, "where": ", ".join(where) or "-", "what": explanation or original,
        "original": original}

"""What a person reads on a page, and the checks tests/portal/test_every_page.py runs on it.

``visible_text(html)`` keeps the text nodes a browser shows (not ``<script>``, ``<style>``, ``<template>``,
comments or hidden inputs) plus the attributes a person reads or hears: ``title``, ``aria-label``,
``placeholder``, ``alt`` and the value of a button-like ``<input>``. ``problems(lines, language)`` names
what should never be read there: internal codes (snake_case, ``tax:`` / ``zus:`` / ``statement:`` prefixes,
the vocabulary's codes and enum values), English msgids of the catalogue in the Polish UI, and common
English words in the Polish UI.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

INVISIBLE = {"script", "style", "template", "noscript", "head", "svg"}
#: literal text to type or quote (a token, a program's code for the agent's configuration), shown as code on purpose
LITERAL = {"code", "kbd", "samp"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# data-label: the label of a table cell shown on phones (``content: attr(data-label)``)
READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "data-label")
BUTTON_INPUTS = {"submit", "button", "reset"}
BLOCK = {"p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
         "header", "footer", "nav", "main", "form", "label", "option", "dt", "dd", "table", "ul", "ol",
         "summary", "details", "caption", "legend", "fieldset", "figcaption", "blockquote", "pre", "button"}


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.hidden_depth = 0
        self.stack: list[str] = []

    def _flush(self):
        text = " ".join("".join(self.current).split())
        if text:
            self.lines.append(text)
        self.current = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        hidden = tag in INVISIBLE or tag in LITERAL or "hidden" in attributes or attributes.get("aria-hidden") == "true"
        if tag not in VOID:
            self.stack.append(tag)
            if hidden or self.hidden_depth:
                self.hidden_depth += 1
        if self.hidden_depth or (tag in VOID and hidden):
            return
        if tag in BLOCK or tag in VOID:
            self._flush()
        for name in READ_ATTRIBUTES:
            if attributes.get(name):
                self.lines.append(" ".join(attributes[name].split()))
        if tag == "input" and attributes.get("type") in BUTTON_INPUTS and attributes.get("value"):
            self.lines.append(attributes["value"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in VOID or tag not in self.stack:
            return
        while self.stack:
            opened = self.stack.pop()
            if self.hidden_depth:
                self.hidden_depth -= 1
            if opened == tag:
                break
        if tag in BLOCK and not self.hidden_depth:
            self._flush()

    def handle_data(self, data):
        if not self.hidden_depth:
            self.current.append(data)

    def close(self):
        super().close()
        self._flush()


def visible_text(html: str) -> list[str]:
    """The page's visible text, one line per block (whitespace collapsed)."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.lines


# --- What must not be read --------------------------------------------------------------------------------

#: snake_case identifiers (``labour_fund``, ``file_import``, ``sms_suspended_reason``)
SNAKE = re.compile(r"(?<![\w@./:-])[a-z]+(?:_[a-z0-9]+)+(?![\w@/-])")
#: the vocabulary's prefixed kinds (``tax:VAT-7``, ``zus:total``, ``statement:revenue``)
PREFIXED = re.compile(r"\b(?:tax|zus|statement|file|label):[A-Za-z0-9_-]+")
#: codes that are single words: the vocabulary's and the enums' values a person must never see bare
BARE_CODES = {
    "manual", "fgsp", "revenue", "costs", "income", "social", "health", "pending", "approved", "rejected",
    "superseded", "queued", "sending", "sent", "delivered", "failed", "unknown", "cancelled", "bookkeeper",
    "owner", "admin", "client", "partner", "optima", "mt940", "camt053", "monthly", "quarterly", "exempt",
    "linear", "scale", "lump_sum", "cit", "ours", "theirs", "email", "phone", "name", "info", "warning",
    "error", "api", "sms", "true", "false", "none", "null",
}

#: common English words a Polish page must not contain (whole words, case-insensitive)
ENGLISH_WORDS = {
    "the", "and", "with", "from", "your", "you", "this", "that", "these", "there", "which", "when", "have", "has",
    "was", "were", "will", "would", "not", "are", "for", "of", "to", "is", "it", "be", "or", "an", "on", "in", "by",
    "save", "cancel", "delete", "remove", "edit", "add", "send", "back", "next", "previous", "search", "filter",
    "settings", "company", "companies", "client", "clients", "payment", "payments", "approve", "approved",
    "pending", "download", "upload", "export", "import", "month", "year", "total", "amount", "paid", "unpaid",
    "due", "overdue", "yes", "no", "none", "sign", "login", "logout", "password", "email", "phone", "name",
    "message", "messages", "event", "events", "error", "errors", "warning", "status", "date", "created", "updated",
    "skipped", "unchanged", "source", "reason", "details", "show", "hide", "more", "less", "all", "page", "help",
    "office", "staff", "role", "owner", "bookkeeper", "administrator", "partner", "revenue", "costs", "income",
    "social", "health", "labour", "fund", "debit", "credit", "balance", "trial", "disabled", "enabled", "not set",
}
ENGLISH_WORD = re.compile(r"\b(" + "|".join(sorted((re.escape(w) for w in ENGLISH_WORDS if " " not in w),
                                                   key=len, reverse=True)) + r")\b", re.IGNORECASE)
#: words that are the same (or accepted) in Polish text: names, abbreviations, product names
POLISH_TOO = {"a", "i", "o", "w", "z", "na", "do", "to", "no", "on", "by", "status", "info", "partner",
              "email", "e-mail", "import", "eksport", "total", "online", "ok", "pdf", "csv", "xlsx", "sms",
              "administrator"}
#: where an English word is allowed in Polish text: proper names, formats, the cast's demo data
ALLOWED_FRAGMENTS = (
    "Twilio", "Messaging Service", "SID", "IT Consulting", "Catering", "Design", "Fundacja Dobry Start",
    "Optima", "Symfonia", "enova", "Comarch", "MT940", "CAMT.053", "Biurko", "Google", "Outlook", "iCal",
    "WebAuthn", "TOTP", "Auto-Serwis", "Message-ID", "example.com", "localhost", "STOP", "SMTP", "TLS", "HTML",
    "Sp. z o.o.", "PLN", "ID", "API", "JSON",
)


@cache
def catalogue(language: str) -> dict[str, str]:
    """msgid → msgstr of locale/<language>/LC_MESSAGES/django.po (translated, non-obsolete entries)."""
    path = Path(__file__).resolve().parents[2] / "locale" / language / "LC_MESSAGES" / "django.po"
    return {msgid: msgstr for msgid, msgstr, fuzzy in read_po(path.read_text(encoding="utf-8"))
            if msgstr and not fuzzy}


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def read_po(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of each live entry of a .po file (plural forms: the first msgstr)."""
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        parts: dict[str, str] = {}
        key = None
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            if line.startswith('"') and key is not None:
                parts[key] += _unquote(line)
                continue
            key, _space, value = line.partition(" ")
            parts[key] = _unquote(value)
        if parts.get("msgid"):
            entries.append((parts["msgid"], parts.get("msgstr", parts.get("msgstr[0]", "")), fuzzy))
    return entries


@cache
def _untranslated_msgids() -> frozenset[str]:
    """English msgids whose Polish text differs: showing one of them in the Polish UI means it was not translated.

    Only sentences and labels of three words or more (short ones like "NIP" or "OK" read the same in both)."""
    polish = catalogue("pl")
    return frozenset(msgid for msgid, msgstr in polish.items()
                     if msgid != msgstr and "%" not in msgid and "{" not in msgid and len(msgid.split()) >= 3)


def _strip_allowed(line: str) -> str:
    for fragment in ALLOWED_FRAGMENTS:
        line = line.replace(fragment, " ")
    # e-mail addresses, URLs, file names and hosts are data, not words
    line = re.sub(r"\S+@\S+|https?://\S+|\S+\.(?:pdf|csv|xlsx|sta|xml|json|ics|txt)\b|\S+\.localhost\S*", " ", line)
    return line


def code_problems(line: str, language: str = "pl") -> list[str]:
    found = []
    cleaned = _strip_allowed(line)
    for match in PREFIXED.finditer(cleaned):
        found.append(f"internal code {match.group(0)!r}")
    for match in SNAKE.finditer(cleaned):
        found.append(f"snake_case identifier {match.group(0)!r}")
    if language != "pl":
        return found  # in English a code and its label are often the same word ("queued", "error")
    for token in re.split(r"\s*[/,;·|]\s*", cleaned):
        stripped = token.strip().rstrip(":").strip()
        if stripped in BARE_CODES:
            found.append(f"bare code {stripped!r}")
    return found


def english_problems(line: str, *, extra_names: frozenset[str] = frozenset()) -> list[str]:
    found = []
    cleaned = _strip_allowed(line)
    for name in extra_names:
        if len(name) > 2:
            cleaned = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", cleaned)
    for msgid in _untranslated_msgids():
        if msgid in cleaned:
            found.append(f"untranslated msgid {msgid!r}")
    words = {match.group(0).lower() for match in ENGLISH_WORD.finditer(cleaned)} - POLISH_TOO
    if words:
        found.append(f"English word(s) {sorted(words)}")
    return found


def problems(lines: list[str], language: str, *, names: frozenset[str] = frozenset()) -> list[str]:
    """Every problem of the lines, as ``'problem — in: line'``; ``names`` are data to ignore (people, companies)."""
    found = []
    for line in lines:
        for problem in code_problems(line, language):
            found.append(f"{problem} — in: {line[:160]}")
        if language == "pl":
            for problem in english_problems(line, extra_names=names):
                found.append(f"{problem} — in: {line[:160]}")
    return found

"""Reading request bodies: size limit, streaming gzip decompression, JSON.

The limit (``settings.AGENT_API_MAX_BODY_BYTES``) applies to the body after
decompression. Decompression is streamed and bounded: a gzip bomb stops at the
limit, it never inflates fully in memory.
"""

from __future__ import annotations

import zlib

import orjson
from django.conf import settings
from django.utils.translation import gettext as _

from sync.api.problems import ProblemError
from sync.batch import FieldError, json_pointer

CHUNK_BYTES = 1024 * 1024


def body_limit() -> int:
    return settings.AGENT_API_MAX_BODY_BYTES


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        "body_too_large",
        _("The request body is larger than the limit of %(limit)s bytes (%(mib)s MiB) after decompression.")
        % {"limit": limit, "mib": round(limit / 1024 / 1024, 2)},
    )


def content_encoding(request) -> str:
    """``"identity"`` or ``"gzip"``; anything else is refused with 415."""
    value = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if value in ("", "identity"):
        return "identity"
    if value in ("gzip", "x-gzip"):
        return "gzip"
    raise ProblemError(
        "unsupported_content_encoding",
        _("Content-Encoding “%(value)s” is not supported: send the body plain or with gzip.") % {"value": value[:40]},
    )


def declared_length(request) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or ""
    try:
        length = int(raw)
    except ValueError:
        return None
    return length if length >= 0 else None


def read_body(request, limit: int | None = None) -> bytes:
    """The whole request body, decompressed, at most ``limit`` bytes (413 beyond)."""
    limit = body_limit() if limit is None else limit
    encoding = content_encoding(request)
    # A gzip stream of incompressible data is slightly larger than the data itself.
    raw_limit = limit if encoding == "identity" else limit + limit // 100 + 64 * 1024
    length = declared_length(request)
    if length is not None and length > raw_limit:
        raise _too_large(limit)
    if encoding == "identity":
        return _read_plain(request, limit)
    return _read_gzip(request, limit, raw_limit)


def _read_plain(request, limit: int) -> bytes:
    out = bytearray()
    while True:
        chunk = request.read(CHUNK_BYTES)
        if not chunk:
            return bytes(out)
        out += chunk
        if len(out) > limit:
            raise _too_large(limit)


def _read_gzip(request, limit: int, raw_limit: int) -> bytes:
    invalid = ProblemError("invalid_gzip", _("The body is declared as gzip but is not a valid gzip stream."))
    out = bytearray()
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    raw_total = 0
    seen_any = False
    try:
        while True:
            chunk = request.read(CHUNK_BYTES)
            if not chunk:
                break
            seen_any = True
            raw_total += len(chunk)
            if raw_total > raw_limit:
                raise _too_large(limit)
            data = chunk
            while data:
                # Never produce more than one byte past the limit: a bomb stops here.
                out += decompressor.decompress(data, limit - len(out) + 1)
                if len(out) > limit:
                    raise _too_large(limit)
                if decompressor.eof:
                    # Concatenated gzip members (RFC 1952 allows them): the rest starts the next one.
                    data = decompressor.unused_data
                    if data:
                        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                else:
                    data = decompressor.unconsumed_tail
        out += decompressor.flush()
        if len(out) > limit:
            raise _too_large(limit)
    except zlib.error:
        raise invalid from None
    if not seen_any or not decompressor.eof:
        raise invalid
    return bytes(out)


def parse_json(body: bytes):
    """The JSON document in ``body`` (UTF-8), or a 400 problem saying where it breaks.

    A document with a NUL character anywhere (a string or a key) is refused here with a 422 pointing at
    each one: PostgreSQL can store NUL neither in text nor in jsonb, so no such value may get further.
    """
    if not body:
        raise ProblemError("invalid_body", _("The request body is empty; a JSON object is expected."))
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        detail = _("The body is not valid UTF-8 JSON: %(error)s") % {"error": exc}
        raise ProblemError("malformed_json", detail) from None
    # Valid JSON can only spell NUL as the escape \u0000 (a raw control character is malformed), so
    # bodies without it — all real ones — skip the walk.
    if b"\\u0000" in body:
        errors = nul_errors(data)
        if errors:
            raise ProblemError("validation_error", _("The request was refused: see errors."), errors=errors)
    return data


def nul_errors(data) -> list[FieldError]:
    """One ``invalid_characters`` error for each string or key in ``data`` that contains NUL."""
    detail = _("Text must not contain NUL characters.")
    errors = []
    stack = [((), data)]
    while stack:  # iterative: orjson allows nesting deeper than Python's recursion limit
        path, value = stack.pop()
        if type(value) is str:
            if "\x00" in value:
                errors.append(FieldError(json_pointer(path), "invalid_characters", detail))
        elif type(value) is dict:
            for key, item in value.items():
                if "\x00" in key:
                    errors.append(FieldError(json_pointer((*path, key)), "invalid_characters", detail))
                stack.append(((*path, key), item))
        elif type(value) is list:
            stack.extend(((*path, index), item) for index, item in enumerate(value))
    return sorted(errors, key=lambda error: error.pointer)


def require_json_content_type(request) -> None:
    """POST bodies must be JSON (``application/json`` or any ``+json`` type); 415 otherwise."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type == "application/json" or (content_type.startswith("application/") and
                                               content_type.endswith("+json")):
        return
    raise ProblemError(
        "unsupported_media_type",
        _("Content-Type “%(value)s” is not supported here: send application/json.") % {"value": content_type[:80]},
    )

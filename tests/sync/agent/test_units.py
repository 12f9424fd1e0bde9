"""The agent's pieces without a portal: configuration, kind detection, queue, Retry-After, progress, CLI."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from sync.agent.client import Response, multipart
from sync.agent.config import ConfigError, load_config
from sync.agent.files import sniff_kind
from sync.agent.queue import Queue
from sync.agent.runner import Progress

ROOT = Path(__file__).resolve().parents[3]


def write(tmp_path: Path, text: str, name: str = "agent.ini") -> Path:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_ini_and_toml(tmp_path):
    ini = write(tmp_path, "[portal]\nurl = http://127.0.0.1:8000/\noffice_host = demo.localhost\n"
                          "token = bk_0123456789abcdef\n[agent]\nwatch_folder = inbox\nstate_dir = state\n")
    config = load_config(ini, environ={})
    assert config.api_base == "http://127.0.0.1:8000/api/agent/v1/"
    assert config.watch_folder == (tmp_path / "inbox").resolve()
    assert config.rejected_folder == config.watch_folder / "rejected"
    assert (tmp_path / "state").is_dir()
    toml = write(tmp_path, '[portal]\nurl = "https://demo.biurko.pl"\ntoken = "bk_0123456789abcdef"\n'
                           '[agent]\nwatch_folder = "inbox"\nstate_dir = "state"\npoll_seconds = 5\n', "agent.toml")
    config = load_config(toml, environ={"BIURKO_AGENT_TOKEN": "bk_from_environment"})
    assert (config.office_host, config.token, config.poll_seconds) == ("", "bk_from_environment", 5.0)


def test_every_problem_is_named(tmp_path):
    path = write(tmp_path, "[portal]\nurl = ftp://x\noffice_host = bad host!\ntimeout = soon\ncolour = red\n"
                           "[agent]\nwatch_folder = missing\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    text = str(error.value)
    for expected in ("url “ftp://x”", "office_host “bad host!”", "token", "“timeout” must be a number",
                     "unknown key “colour”", "watch_folder", "state_dir is required"):
        assert expected in text, (expected, text)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nothing.ini", environ={})


def test_kind_is_read_from_the_content_then_the_name():
    assert sniff_kind(b'<JPK xmlns="x"><Naglowek><KodFormularza kodSystemowy="JPK_V7M (2)">') == "jpk_v7m"
    assert sniff_kind(b'<tns:JPK><tns:KodFormularza kodSystemowy="JPK_V7K (3)" >', "v7m.xml") == "jpk_v7k"
    assert sniff_kind(b'<?xml version="1.0"?><KEDU xmlns="http://www.zus.pl/2024/KEDU_5_6">') == "kedu"
    assert sniff_kind('<?xml version="1.0" encoding="UTF-16"?><KEDU>'.encode("utf-16")) == "kedu"
    assert sniff_kind(b"<Deklaracja/>", "export_V7M_2026-03.xml") == "jpk_v7m"
    assert sniff_kind(b"<notes/>", "notes.xml") is None


def test_queue_deduplicates_by_content_and_survives_a_restart(tmp_path):
    queue = Queue(tmp_path)
    first = queue.add("batches", b'{"a": 1}', name="a.json")
    assert first is not None and first.key.startswith("biurko-agent-") and len(first.key) <= 255
    assert queue.add("batches", b'{"a": 1}', name="copy.json") is None  # same content: one item
    assert queue.add("files", b'{"a": 1}', name="a.xml") is not None  # another endpoint: another key
    again = Queue(tmp_path)  # a new process
    assert [item.name for item in again.items()] == ["a.json", "a.xml"]
    again.finish(again.items()[0], "delivered")
    assert Queue(tmp_path).add("batches", b'{"a": 1}', name="later.json") is None  # done: never re-queued
    assert not any(name.startswith(".tmp-") for name in os.listdir(tmp_path / "queue"))


def test_retry_after_seconds_and_dates():
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert Response(503, {"retry-after": "7"}).retry_after(now) == 7
    assert Response(429, {"retry-after": "999999"}).retry_after(now) == 3600
    date = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert Response(503, {"retry-after": date}).retry_after(now) == 30
    assert Response(503, {"retry-after": "soon"}).retry_after(now) is None
    assert Response(503).retry_after(now) is None


def test_multipart_body_is_deterministic():
    one = multipart({"kind": "kedu"}, "file", "a.xml", b"<KEDU/>")
    assert one == multipart({"kind": "kedu"}, "file", "a.xml", b"<KEDU/>")
    assert b'name="kind"\r\n\r\nkedu\r\n' in one[0] and one[1].startswith("multipart/form-data; boundary=")


def test_progress_bar_text():
    stream = io.StringIO()
    progress = Progress(20, stream)
    for _i in range(20):
        progress.advance("file.xml")
    lines = stream.getvalue().splitlines()
    assert lines[-1] == f"[{'#' * 30}] 20/20" and len(lines) == 11  # the first file, then every 10 %


def test_python_dash_m_runs_without_django(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", "import sys, runpy; sys.argv=['biurko-agent', '--config', "
                             f"{str(tmp_path / 'none.ini')!r}, 'status']; runpy.run_module('sync.agent', "
                             "run_name='__main__'); "], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2, result.stderr
    assert "does not exist" in result.stderr
    check = subprocess.run([sys.executable, "-c", "import sync.agent.cli, sys; "
                            "print('django' in sys.modules)"], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=60)
    assert check.stdout.strip() == "False", check.stderr


def test_bank_statements_in_the_watched_folder_are_sent_as_mt940_and_camt053(tmp_path):
    from sync.agent.files import uploads_of, watched_files  # noqa: PLC0415 - this test alone
    from sync.importers.statement_writer import render_camt053, render_mt940  # noqa: PLC0415
    from tests.clients.bank_files import statement, y_lines  # noqa: PLC0415

    mt940 = tmp_path / "wyciag.sta"
    mt940.write_bytes(render_mt940(statement(y_lines())))
    camt = tmp_path / "camt.xml"
    camt.write_bytes(render_camt053(statement(y_lines(), kind="camt053")))
    assert {path.name for path in watched_files(tmp_path)} == {"wyciag.sta", "camt.xml"}
    assert [upload.kind for upload in uploads_of(mt940, mt940.read_bytes())] == ["mt940"]
    assert [(upload.endpoint, upload.kind) for upload in uploads_of(camt, camt.read_bytes())] == [("files", "camt053")]

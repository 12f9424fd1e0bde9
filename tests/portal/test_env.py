import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import Env


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("YES", True), ("on", True),
                                           ("0", False), ("false", False), ("no", False), ("", False)])
def test_booleans_accept_the_usual_spellings(raw, expected):
    assert Env({"DEBUG": raw}).bool("DEBUG", default=not expected) is expected


def test_a_misspelt_boolean_stops_start_up():
    with pytest.raises(ImproperlyConfigured, match="DEBUG='ture' is not a boolean"):
        Env({"DEBUG": "ture"}).bool("DEBUG", default=False)


def test_missing_values_take_the_default():
    env = Env({})
    assert env.bool("X", default=True) is True
    assert env.int("X", 7) == 7
    assert env.str("X", "d") == "d"
    assert env.list("X", ["a"]) == ["a"]


def test_integers_are_checked_for_type_and_range():
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        Env({"PORT": "80a"}).int("PORT", 1)
    with pytest.raises(ImproperlyConfigured, match="above the maximum of 65535"):
        Env({"PORT": "70000"}).int("PORT", 1, maximum=65535)
    assert Env({"PORT": " 25 "}).int("PORT", 1, maximum=65535) == 25


def test_choices_name_the_allowed_values():
    with pytest.raises(ImproperlyConfigured, match="must be one of: json, text"):
        Env({"LOG_FORMAT": "xml"}).choice("LOG_FORMAT", ["json", "text"], "text")


def test_urls_must_use_an_allowed_scheme():
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must start with one of postgres://"):
        Env({"DATABASE_URL": "mysql://x"}).url("DATABASE_URL", ["postgres", "postgresql"])
    assert Env({"DATABASE_URL": "postgres://h/db"}).url("DATABASE_URL", ["postgres"]) == "postgres://h/db"


def test_lists_are_comma_separated_and_trimmed():
    assert Env({"HOSTS": "a.pl, b.pl,,"}).list("HOSTS") == ["a.pl", "b.pl"]


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        env={"BIURKO_ENV": "production", "DATABASE_URL": "postgres://u@127.0.0.1:1/x", "PATH": "/usr/bin"},
        capture_output=True, text=True, cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when BIURKO_ENV=production" in result.stderr

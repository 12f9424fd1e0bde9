"""A Celery worker for the messaging tests: ``python -m tests.clients.messaging.worker_main``.

Configured by the environment the tests set (``peers.Worker``): the test database (DATABASE_URL),
the test run's own queue, settings overrides pointing at the local peers, and a file to touch when ready.
"""

import json
import os
import threading
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from celery.signals import worker_ready  # noqa: E402
from django.conf import settings  # noqa: E402

from portal.celery import app  # noqa: E402

for _name, _value in json.loads(os.environ.get("MESSAGING_TEST_OVERRIDES", "{}")).items():
    setattr(settings, _name, _value)
QUEUE = os.environ["MESSAGING_TEST_QUEUE"]
settings.MESSAGING_QUEUE = QUEUE


def _exit_with_the_tests(parent: int) -> None:
    """A worker never outlives the pytest that started it (killed, crashed or Ctrl-C): it would consume
    from the test database and broker of a run that no longer exists."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(3)


@worker_ready.connect
def _ready(**kwargs):
    Path(os.environ["MESSAGING_TEST_READY_FILE"]).write_text("ready")


if __name__ == "__main__":
    threading.Thread(target=_exit_with_the_tests, args=(int(os.environ["MESSAGING_TEST_PARENT_PID"]),),
                     name="exit-with-the-tests", daemon=True).start()
    app.worker_main(["worker", "-Q", QUEUE, "--pool", "solo", "--concurrency", "1", "--without-gossip",
                     "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
                     "-n", f"{os.environ.get('MESSAGING_TEST_WORKER', 'w')}-{os.getpid()}@%h"])

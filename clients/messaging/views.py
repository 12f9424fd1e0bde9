"""Provider callbacks and the unsubscribe link. Thin: the rules live in ``callbacks`` and ``services``."""

import logging

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from clients.messaging import callbacks, links, services

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def twilio_status(request):
    """Twilio's delivery report. Always 200: a refusal would only make Twilio retry a request we ignore."""
    try:
        callbacks.twilio_status(request)
    except Exception:
        logger.exception("Twilio status callback failed")
    return HttpResponse(status=200)


@csrf_exempt  # RFC 8058 one-click: mail providers POST without our CSRF cookie; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    person = links.person_from_unsubscribe_token(token)
    if person is None:
        raise Http404
    done = False
    if request.method == "POST":
        services.unsubscribe(person)
        done = True
    return render(request, "messaging/unsubscribe.html", {"person": person, "done": done,
                                                          "already": not person.notify_email and not done})

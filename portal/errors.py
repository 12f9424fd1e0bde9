"""The CSRF-failure page rendered like every other page (office name, language), not Django's English default."""

from django.shortcuts import render


def csrf_failure(request, reason: str = ""):
    # ``reason`` is Django's English diagnostic for developers; the person gets a plain explanation instead.
    return render(request, "403_csrf.html", status=403)

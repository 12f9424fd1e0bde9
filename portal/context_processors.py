from django.conf import settings


def site(request):
    office = getattr(request, "tenant", None)
    is_office = office is not None and getattr(office, "schema_name", "public") != "public"
    return {"office": office if is_office else None, "BASE_DOMAIN": settings.BASE_DOMAIN}

"""Finding 7 of the penetration test: the sign-up slug ``template`` answered "New schema name already exists"
(untranslated, naming an internal schema). Every slug whose schema the portal uses itself is reserved."""

import pytest

from offices.models import Office

FORM = {"name": "Biuro", "owner_email": "jan@biuro.pl", "password1": "Zielona-Herbata-42",
        "password2": "Zielona-Herbata-42"}


@pytest.mark.parametrize("slug", ["template", "Template", " template "])
def test_the_template_schemas_slug_is_reserved(public_client, slug):
    response = public_client.post("/signup/", {**FORM, "slug": slug}, HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 400
    errors = response.context["form"].errors.as_data()["slug"]
    assert [error.code for error in errors] == ["slug_reserved"]
    html = response.content.decode()
    assert "Adres „template” jest zarezerwowany" in html or "zarezerwowany" in html
    assert "schema" not in html.lower()
    assert not Office.objects.filter(slug="template").exists()

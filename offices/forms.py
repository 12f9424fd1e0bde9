from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from offices.provisioning import SLUG_MAX_LENGTH, validate_slug


class OfficeSignupForm(forms.Form):
    name = forms.CharField(label=_("Office name"), max_length=200)
    slug = forms.CharField(
        label=_("Portal address (subdomain)"), max_length=SLUG_MAX_LENGTH,
        help_text=_("Your office will be at <address>.%(domain)s — lowercase letters, digits, hyphens."),
    )
    owner_email = forms.EmailField(label=_("Your e-mail"))
    password1 = forms.CharField(label=_("Password"),
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"),
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, base_domain: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].help_text = self.fields["slug"].help_text % {"domain": base_domain}

    def clean_slug(self):
        return validate_slug(self.cleaned_data["slug"])

    def clean_owner_email(self):
        return self.cleaned_data["owner_email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", ValidationError(_("The passwords differ."), code="password_mismatch"))
        elif password1:
            try:
                validate_password(password1)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned

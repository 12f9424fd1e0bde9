from allauth.account.adapter import DefaultAccountAdapter


class OfficeAccountAdapter(DefaultAccountAdapter):
    """Offices invite their staff and clients; nobody signs up on an office host."""

    def is_open_for_signup(self, request):
        return False

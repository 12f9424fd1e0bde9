"""The office panel: the staff's pages inside an office (``/panel/``).

Every panel URL is declared through ``offices.panel.urls``' ``staff``/``admin`` helpers, which wrap the
view in ``offices.panel.access``: nobody reaches a panel view without passing the access check.
"""

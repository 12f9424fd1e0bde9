from django.urls import include, path

from offices import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("signup/", views.signup, name="signup"),
    path("i18n/", include("django.conf.urls.i18n")),
]

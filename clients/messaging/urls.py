from django.urls import path

from clients.messaging import views

app_name = "messaging"
urlpatterns = [
    path("twilio/status/", views.twilio_status, name="twilio_status"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

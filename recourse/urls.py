"""Pages of contests (the project includes this at "")."""

from django.urls import path

from . import views

app_name = "recourse"
urlpatterns = [
    path("contests/", views.mine, name="mine"),
    path("contests/open/", views.open_list, name="open"),
    path("contests/reasons/", views.reasons, name="reasons"),
    path("contests/reasons/<int:pk>/toggle/", views.reason_toggle, name="reason_toggle"),
    path("contests/new/ticket/<int:pk>/", views.new_for_ticket, name="new_ticket"),
    path("contests/new/hours/<int:pk>/", views.new_for_hours, name="new_hours"),
    path("contests/new/pay/<int:pk>/", views.new_for_pay, name="new_pay"),
    path("contests/new/result/<int:pk>/", views.new_for_result, name="new_result"),
    path("contests/new/fee/<int:pk>/", views.new_for_fee, name="new_fee"),
    path("contests/new/payment/<int:pk>/", views.new_for_line, name="new_line"),
    path("contests/new/award/<int:pk>/", views.new_for_award, name="new_award"),
    path("contests/<int:pk>/", views.detail, name="detail"),
]

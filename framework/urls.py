from django.urls import path

from . import views

app_name = "framework"

urlpatterns = [
    path("", views.framework_list, name="list"),
    path("<slug:code>/", views.framework_detail, name="detail"),
    path("<slug:code>/articles/<int:number>/", views.article_detail, name="article"),
]

"""The project's URLs plus two trivial authenticated endpoints at /bench/ping (GET, and POST with a
small JSON body), behind the API's own authentication (token or session), on the same stack as
/api/v1: the reference a self-enrollment is compared with over HTTP."""

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI, Schema

from smoothlms.api.v1.auth import API_AUTH
from smoothlms.config.urls import urlpatterns as project_urls

api = NinjaAPI(title="Smooth LMS bench", urls_namespace="bench", auth=API_AUTH, docs_url=None, openapi_url=None)


class PingIn(Schema):
    value: str = ""


@api.get("/ping")
def ping(request: HttpRequest):
    return {"data": {"email": request.auth.email}}


@api.post("/ping")
def ping_post(request: HttpRequest, body: PingIn):
    return {"data": {"email": request.auth.email, "value": body.value}}


urlpatterns = [path("bench/", api.urls), *project_urls]

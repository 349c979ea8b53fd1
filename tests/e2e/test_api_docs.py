"""The API docs page in a real browser: it renders every operation from /api/v1/openapi.json and
loads nothing from outside the site (no CDN)."""

import pytest

from smoothlms.people.tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_docs_render_without_outside_requests(page, live_server, artifacts_dir):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    assert {
        "/api/v1/batches",
        "/api/v1/batches/{name}/enroll",
        "/api/v1/batches/{name}/enrollments/bulk",
        "/api/v1/me/timetable",
    } <= {path.replace("\u200b", "") for path in paths}
    page.screenshot(path=str(artifacts_dir / "api-docs.png"))
    outside = [url for url in requested if not url.startswith(live_server.url) and not url.startswith("data:")]
    assert outside == []


def test_signed_in_browser_calls_the_api_with_its_session(page, live_server, sign_in):
    UserFactory(email="learner@example.com", password="right-pass-123")
    sign_in("learner@example.com", "right-pass-123")
    response = page.request.get(f"{live_server.url}/api/v1/me/enrollments")
    assert response.status == 200 and response.json() == {"data": [], "count": 0}

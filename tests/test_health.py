def test_health_reports_database(client):
    res = client.get("/api/v1/health")
    assert res.status_code == 200
    assert res.json() == {"status": "ok", "database": "ok"}


def test_frontend_and_plotly_are_served_locally(client):
    import plotly.offline

    assert "Sales Scorecard" in client.get("/").text
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200
    assert plotly.offline.get_plotlyjs_version() in js.text[:2000]

def test_health(client):
    response = client.get("/healthz")
    assert response.json == {"status": "ok", "database": "ok"}


def test_setup_redirect_until_practice_exists(client):
    assert client.get("/clients/").headers["Location"].endswith("/setup")


def test_client_page(client, users, login, make_client):
    login(users["front_desk"])
    sam = make_client("Sam", phone="07911 123456")
    page = client.get(f"/clients/{sam.id}").get_data(as_text=True)
    assert "Sam" in page and "+44 7911 123456" in page

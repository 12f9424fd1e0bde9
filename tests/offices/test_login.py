from tests.conftest import PASSWORD


def _login(client, email, password=PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_staff_logs_in_on_their_office_host(office_client, cast):
    client = office_client(cast.office_a)
    response = _login(client, "alice@alpha.test")
    assert response.status_code == 302
    home = client.get("/", follow=True)  # staff land in the panel
    assert home.status_code == 200
    assert "alice@alpha.test" in home.content.decode()


def test_a_client_logs_in_too(office_client, cast):
    client = office_client(cast.office_a)
    assert _login(client, "bob@example.com").status_code == 302
    home = client.get("/", follow=True)
    assert home.status_code == 200
    assert home.redirect_chain[-1][0].startswith("/client/")


def test_a_user_of_office_a_cannot_log_in_on_office_b(office_client, cast):
    client = office_client(cast.office_b)
    response = _login(client, "alice@alpha.test")
    assert response.status_code == 200  # the form again, with an error
    assert client.get("/").status_code == 302  # still anonymous


def test_a_session_of_office_a_means_nothing_on_office_b(office_client, cast):
    client_a = office_client(cast.office_a, cast.alice)
    assert client_a.get("/", follow=True).status_code == 200
    session_cookie = client_a.cookies["sessionid"].value
    client_b = office_client(cast.office_b)
    client_b.cookies["sessionid"] = session_cookie
    assert client_b.get("/")["Location"].startswith("/accounts/login/")


def test_session_cookies_are_host_only(office_client, cast):
    client = office_client(cast.office_a)
    _login(client, "alice@alpha.test")
    assert client.cookies["sessionid"]["domain"] == ""


def test_wrong_password_is_refused(office_client, cast):
    client = office_client(cast.office_a)
    response = _login(client, "alice@alpha.test", "wrong-password")
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_nobody_signs_up_on_an_office_host(office_client, cast):
    response = office_client(cast.office_a).get("/accounts/signup/")
    assert "signup_closed" in response.templates[0].name or response.status_code in (302, 403, 404)


def test_home_requires_login(office_client, cast):
    response = office_client(cast.office_a).get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_login_page_sends_people_without_an_account_to_their_office(office_client, cast):
    html = office_client(cast.office_a).get("/accounts/login/").content.decode()
    assert "/accounts/signup/" not in html  # office sign-up is closed: no link leading to a dead end
    assert f"poproś {cast.office_a.name} o zaproszenie" in html

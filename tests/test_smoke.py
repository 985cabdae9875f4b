def test_it_serves_pages_to_a_committee_office_user(city, as_user):
    from tests import factories as f

    user = f.user("committee_office", city.root)
    client = as_user(user)
    for url in ["/", "/orgs/", "/orgs/units/", f"/orgs/units/{city.dept_a.pk}/", "/people/", f"/people/{city.alice.pk}/",
                f"/people/{city.alice.pk}/edit/", "/people/new/", "/orgs/groups/", f"/orgs/units/{city.root.pk}/children/"]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_it_speaks_chinese_unless_english_was_chosen(city, as_user):
    from tests import factories as f

    client = as_user(f.user("committee_office", city.root))
    assert "退出" in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Log out" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "退出" in client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

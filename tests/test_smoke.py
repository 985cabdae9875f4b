def test_it_serves_pages_to_a_committee_office_user(city, as_user):
    from tests import factories as f

    user = f.user("committee_office", city.root)
    client = as_user(user)
    for url in ["/", "/orgs/", "/orgs/units/", f"/orgs/units/{city.dept_a.pk}/", "/people/", f"/people/{city.alice.pk}/",
                f"/people/{city.alice.pk}/edit/", "/people/new/", "/orgs/groups/", f"/orgs/units/{city.root.pk}/children/"]:
        response = client.get(url)
        assert response.status_code == 200, url

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

from fangkong.accounts.middleware import LOGIN_AT_KEY
from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.orgs.choices import UnitKind as K
from fangkong.orgs.models import Unit
from fangkong.people.models import Person

from . import factories as f


@dataclass
class City:
    """A small city: two departments with party organisations, a street with two communities."""

    root: Unit
    committee: Unit
    dept_a: Unit
    dept_b: Unit
    branch_a: Unit
    cb: Unit
    industry: Unit
    street: Unit
    comm_1: Unit
    comm_2: Unit
    checkpoint_1: Unit
    alice: Person  # in dept_a, party member of branch_a
    bob: Person  # in dept_b
    carol: Person  # community worker in comm_1
    dave: Person  # community worker in comm_2
    eve: Person  # at checkpoint_1



@pytest.fixture(autouse=True)
def _fresh_verifier_caches():
    """Ids, signing keys and tokens are made again by each test (a demo load makes a new signing
    key): no in-process cache of the pass verifier, nor Django's cache (the public pages keep ids
    there), may carry one test's over to the next."""
    from django.core.cache import cache

    from fangkong.core import clock
    from fangkong.passes import fastpath, keys, selectors

    def forget():
        cache.clear()
        clock.clear_cache()
        selectors.forget_all()
        fastpath.forget_all()
        keys.forget_keys()

    forget()
    yield
    forget()


@pytest.fixture
def city(db: None) -> City:
    root = f.unit(K.CITY, None, "白岭市")
    committee = f.unit(K.WORKING_COMMITTEE, root, "市直机关工委")
    dept_a = f.unit(K.DEPARTMENT, committee, "市民政局")
    dept_b = f.unit(K.DEPARTMENT, committee, "市教育局")
    pc_a = f.unit(K.PARTY_COMMITTEE, dept_a, "市民政局机关党委")
    gb_a = f.unit(K.GENERAL_BRANCH, pc_a, "市民政局第一党总支")
    branch_a = f.unit(K.BRANCH, gb_a, "市民政局第一党支部")
    cb = f.unit(K.COORDINATING_BODY, committee, "市工信局")
    industry = f.unit(K.INDUSTRY_UNIT, cb, "白岭市自来水公司")
    street = f.unit(K.STREET, root, "东兴街道")
    comm_1 = f.unit(K.COMMUNITY, street, "红旗社区")
    comm_2 = f.unit(K.COMMUNITY, street, "光明社区")
    checkpoint_1 = f.unit(K.CHECKPOINT, comm_1, "江北路卡点")
    return City(
        root=root, committee=committee, dept_a=dept_a, dept_b=dept_b, branch_a=branch_a, cb=cb,
        industry=industry, street=street, comm_1=comm_1, comm_2=comm_2, checkpoint_1=checkpoint_1,
        alice=f.person(dept_a, "李爱丽", is_party_member=True, branch=branch_a, is_cadre=True),
        bob=f.person(dept_b, "王博", is_cadre=True),
        carol=f.person(comm_1, "赵春兰"),
        dave=f.person(comm_2, "钱大为"),
        eve=f.person(checkpoint_1, "孙二娥"),
    )


def login_client(user: User) -> Client:
    """A client logged in as the user, second factor passed (as after a real OTP check)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[LOGIN_AT_KEY] = __import__("time").time()
    if user.role in {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR}:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="t", confirmed=True)
        session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def as_user():
    return login_client


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; missing is a failure under CI=true, else a skip."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Debian's chromium is missing at /usr/bin/chromium; CI must run the browser tests")
        pytest.skip("chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, live_server, username, password, *, wait=False):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-submit")
    if wait:
        page.wait_for_url(f"{live_server.url}/")


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    # Browser tests run last: they use a live server and flush the database between tests.
    items.sort(key=lambda item: 1 if item.get_closest_marker("browser") else 0)


os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

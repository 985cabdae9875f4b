from dataclasses import dataclass

import pytest

from fangkong.accounts.roles import Role
from fangkong.core.actors import SYSTEM
from fangkong.donations import services
from fangkong.donations.models import Donor, Item, Measure, Store
from tests import factories as f


@dataclass
class Goods:
    jin: Measure
    kg: Measure
    pair: Measure
    piece: Measure
    disinfectant: Item
    gloves: Item
    masks: Item
    store: Store
    donor: Donor


@pytest.fixture
def goods(city) -> Goods:
    from fangkong.donations.catalogue import ensure_measures

    # The units come with migration 0002; a transactional test before this one flushed them.
    ensure_measures()
    m = {x.name: x for x in Measure.objects.all()}
    disinfectant = services.item_create(actor=SYSTEM, name="消毒液", category="epidemic", measure=m["斤"])
    gloves = services.item_create(actor=SYSTEM, name="手套", category="epidemic", measure=m["副"])
    masks = services.item_create(actor=SYSTEM, name="口罩", category="epidemic", measure=m["个"], pack_name="箱",
                                 pack_size=50)
    store = services.store_create(actor=SYSTEM, name="工委物资库", unit=city.committee)
    donor = services.donor_create(actor=SYSTEM, kind="department", unit=city.dept_a)
    return Goods(jin=m["斤"], kg=m["公斤"], pair=m["副"], piece=m["个"], disinfectant=disinfectant, gloves=gloves,
                 masks=masks, store=store, donor=donor)


@pytest.fixture
def office(city):
    return f.user(Role.COMMITTEE_OFFICE, city.root)


@pytest.fixture
def community_user(city):
    u = f.user(Role.COMMUNITY_STAFF, city.comm_1)
    u.person = city.carol
    u.save()
    return u

"""Administrative divisions (GB/T 2260): code lookups, free-text matching, cascading choices."""

import time

import pytest

from fangkong.returnees.divisions import Division, choices_for, division, match_origin


def test_it_looks_up_a_province_city_and_county():
    hubei = division("420000")
    assert hubei == Division("420000", "湖北省", "province", None, "湖北省")
    wuhan = division("420100")
    assert wuhan is not None
    assert (wuhan.name, wuhan.level, wuhan.parent_code, wuhan.full_name) == (
        "武汉市",
        "city",
        "420000",
        "湖北省武汉市",
    )
    jianghan = division("420103")
    assert jianghan is not None
    assert (jianghan.level, jianghan.full_name, jianghan.province_code) == (
        "county",
        "湖北省武汉市江汉区",
        "420000",
    )


def test_municipalities_keep_the_placeholder_city_but_leave_it_out_of_full_names():
    dongcheng = division("110101")
    assert dongcheng is not None
    assert dongcheng.name == "东城区"
    assert dongcheng.parent_code == "110100"
    assert dongcheng.full_name == "北京市东城区"
    placeholder = division("110100")
    assert placeholder is not None
    assert placeholder.is_placeholder
    assert placeholder.full_name == "北京市"
    xiantao = division("429004")  # a county-level city directly under the province
    assert xiantao is not None
    assert xiantao.full_name == "湖北省仙桃市"


def test_short_codes_are_padded_and_junk_is_none():
    assert division("42") == division("420000")
    assert division("4201") == division("420100")
    for junk in ("", "99", "990000", "42010", "湖北", "４２００００", "4201031"):
        assert division(junk) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("湖北省武汉市", "420100"),
        ("武汉市江汉区", "420103"),
        ("湖北武汉", "420100"),
        ("武汉", "420100"),
        ("湖北", "420000"),
        ("广东省深圳市南山区xx街道", "440305"),
        ("广东 深圳 南山", "440305"),
        ("北京", "110000"),
        ("北京市东城区", "110101"),
        ("北京朝阳", "110105"),
        ("上海市浦东新区", "310115"),
        ("天津滨海新区", "120116"),
        ("重庆万州", "500101"),
        ("湖北仙桃", "429004"),
        ("江汉区解放路", "420103"),  # 解放 (焦作解放区) is a street here
        ("陕西西安", "610100"),
        ("西安", "610100"),  # the city, not 辽源's 西安区
        ("吉林", "220000"),
        ("吉林省吉林市", "220200"),
        ("湖北恩施", "422800"),  # 恩施土家族苗族自治州
        ("内蒙古鄂温克", "150724"),  # 鄂温克族自治旗
        ("新疆巴音郭楞", "652800"),
        ("香港", "810000"),
        ("浙江省杭州市西湖区文三路100号", "330106"),  # not 南昌's 西湖区
        ("江西南昌西湖区", "360103"),
        ("湖北省武汉市江汉区", "420103"),
        ("江汉区武汉市", "420103"),  # order does not matter
        ("ＨＵ湖北省武汉市", "420100"),
    ],
)
def test_match_origin_finds_the_most_specific_division(text, code):
    found = match_origin(text)
    assert found is not None, text
    assert found.code == code


def test_ambiguous_county_names_need_context():
    assert match_origin("朝阳区") is None  # Beijing's or Changchun's
    assert match_origin("鼓楼区") is None
    beijing = match_origin("北京市朝阳区")
    changchun = match_origin("吉林长春朝阳区")
    assert beijing is not None
    assert changchun is not None
    assert (beijing.code, changchun.code) == ("110105", "220104")
    nanjing = match_origin("南京鼓楼")
    assert nanjing is not None
    assert nanjing.full_name == "江苏省南京市鼓楼区"
    # Two 鼓楼区 in 江苏 (南京, 徐州): the province is all that is certain.
    jiangsu = match_origin("江苏鼓楼区")
    assert jiangsu is not None
    assert jiangsu.code == "320000"


@pytest.mark.parametrize("text", ["", "   ", "abc", "某某小区3栋", "海外", "12345"])
def test_unknown_text_is_none(text):
    assert match_origin(text) is None


def test_choices_for_lists_children_in_code_order():
    provinces = choices_for(None)
    assert len(provinces) == 34
    assert provinces[0].name == "北京市"
    assert all(p.level == "province" for p in provinces)
    hubei_cities = choices_for("420000")
    assert "武汉市" in [c.name for c in hubei_cities]
    assert "省直辖县级行政区划" in [c.name for c in hubei_cities]
    wuhan = choices_for("420100")
    assert [d.code for d in wuhan] == sorted(d.code for d in wuhan)
    assert "江汉区" in [d.name for d in wuhan]
    assert all(d.level == "county" and d.parent_code == "420100" for d in wuhan)
    assert [d.name for d in choices_for("110000")] == ["市辖区"]
    assert choices_for("420103") == []
    assert choices_for("999999") == []
    assert choices_for("nonsense") == []


def test_every_county_hangs_under_a_city_under_a_province():
    counts = {"province": 0, "city": 0, "county": 0}
    for province in choices_for(None):
        counts["province"] += 1
        for city in choices_for(province.code):
            counts["city"] += 1
            assert city.level == "city"
            assert city.province_code == province.code
            for county in choices_for(city.code):
                counts["county"] += 1
                assert county.level == "county"
                assert county.code.startswith(city.code[:4])
    assert counts["province"] == 34
    assert counts["city"] > 330
    assert counts["county"] > 2800


def test_match_origin_is_fast():
    texts = [
        "湖北省武汉市",
        "武汉市江汉区",
        "湖北武汉",
        "武汉",
        "广东省深圳市南山区xx街道",
        "朝阳区",
        "某某小区",
    ]
    match_origin("warm up")
    start = time.perf_counter()
    for i in range(10_000):
        match_origin(texts[i % len(texts)])
    assert time.perf_counter() - start < 1.0

"""One date form: 2020年2月1日–2月29日 in prose and headings (the cn_dates builtins), ISO in cells."""

import datetime as dt

from django.template import Context, Template
from django.utils import timezone

from fangkong.core.templatetags.cn_dates import cn_date, cn_range


def test_the_chinese_forms():
    assert cn_date(dt.date(2020, 2, 1)) == "2020年2月1日"
    assert cn_range(dt.date(2020, 2, 1), dt.date(2020, 2, 29)) == "2020年2月1日–2月29日"
    assert cn_range(dt.date(2020, 2, 25), dt.date(2020, 2, 25)) == "2020年2月25日"
    assert cn_range(dt.date(2019, 12, 30), dt.date(2020, 1, 5)) == "2019年12月30日–2020年1月5日"
    assert cn_date(None) == "" and cn_date("2020-02-03") == "2020年2月3日"


def test_a_moment_is_read_in_local_time():
    late = dt.datetime(2020, 2, 24, 17, 30, tzinfo=dt.UTC)  # 01:30 on the 25th in Shanghai
    assert cn_date(late) == f"{timezone.localtime(late).year}年2月25日"


def test_every_template_may_use_them_without_load():
    out = Template("{{ a|cn_date }} {{ a|cn_range:b }}").render(Context({"a": dt.date(2020, 2, 1),
                                                                          "b": dt.date(2020, 2, 29)}))
    assert out == "2020年2月1日 2020年2月1日–2月29日"


def test_another_language_reads_iso():
    from django.utils import translation

    with translation.override("en"):
        assert cn_date(dt.date(2020, 2, 1)) == "2020-02-01"
        assert cn_range(dt.date(2020, 2, 1), dt.date(2020, 2, 29)) == "2020-02-01 – 2020-02-29"

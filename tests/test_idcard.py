"""ID numbers (GB 11643) and mobile phones."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from fangkong.core.idcard import check_digit, mask_id_number, mask_phone, normalize_phone, parse_id_number

VALID = "11010519491231002X"  # the standard's own example


def test_it_accepts_the_standard_example_with_x_check_digit():
    info = parse_id_number(VALID)
    assert info.number == VALID
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.sex == "F"


@pytest.mark.parametrize(
    "raw",
    ["11010519491231002x", " 110105 1949 1231 002X ", "１１０１０５１９４９１２３１００２Ｘ", "110105\u200b19491231002X",
     "110105-19491231-002X"],
)
def test_it_normalises_case_spaces_and_full_width_digits(raw):
    assert parse_id_number(raw).number == VALID


def test_it_derives_male_from_an_odd_sequence_digit():
    first17 = "22060219850314001"
    assert parse_id_number(first17 + check_digit(first17)).sex == "M"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("110105194912310021", "checksum"),
        ("11010519491331002X", "birth"),
        ("110105194912", "format"),
        ("1.10101E+17", "format"),
        ("11010519491231002Y", "format"),
        ("110105180012310021", "birth"),
    ],
)
def test_it_rejects_invalid_numbers_with_a_reason(raw, code):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(raw)
    assert exc.value.code == code
    assert exc.value.messages[0]


@pytest.mark.parametrize("raw", ["+86 139 1234 5678", "139-1234-5678", "008613912345678", "13912345678", "８６13912345678"])
def test_it_normalises_phones(raw):
    assert normalize_phone(raw) == "13912345678"


@pytest.mark.parametrize("raw", ["12912345678", "1391234567", "0431-1234567", "abc", "139123456789"])
def test_it_rejects_invalid_phones(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


@pytest.mark.parametrize(("raw", "digits"), [
    ("0439-3211234", "04393211234"), ("(0439)3211234", "04393211234"), ("0439 3211 234", "04393211234"),
    ("010-12345678", "01012345678"), ("0431-81234567", "043181234567"),
])
def test_it_normalises_landlines_with_their_area_code(raw, digits):
    assert normalize_phone(raw) == digits


@pytest.mark.parametrize(("raw", "code"), [
    ("0439-3211234-801", "extension"), ("0439-3211234转801", "extension"), ("13912345678/13812345678", "two"),
    ("13912345678、0439-3211234", "two"), ("3211234", "area"),
])
def test_it_refuses_an_extension_two_numbers_or_a_landline_without_area_code(raw, code):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw)
    assert exc.value.code == code


def test_it_masks_ids_and_phones():
    assert mask_id_number("220602198503141234") == "220602********1234"
    assert mask_phone("13912345678") == "139****5678"

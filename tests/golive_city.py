"""A realistic city's own spreadsheets, made the way its offices keep them: the organisation
tree (departments with their party committees, general branches and branches named the official
way, coordinating bodies with their industry units, streets, communities and checkpoints)."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

HEADERS = ["序号", "单位名称", "简称", "类型", "上级单位", "编码", "成立日期", "联系电话"]
DEPARTMENT_WORDS = ["民政", "财政", "教育", "卫生健康", "交通运输", "住房和城乡建设", "自然资源", "生态环境",
                    "商务", "文化旅游", "农业农村", "水利", "审计", "统计", "司法", "人力资源和社会保障"]


def city_rows(*, city: str = "白岭市", departments: int = 100, bodies: int = 4, industry: int = 67,
              streets: int = 7, communities: int = 26, checkpoints: int = 99) -> list[list[str]]:
    """Rows of the tree file (without the header). The city and its working committee exist
    already (``fangkong init``); rows name their parent by name or by code, the way clerks do."""
    rows: list[list[str]] = []

    def add(name: str, short: str, kind: str, parent: str, code: str, opened: str = "2019-01-01", phone: str = "") -> None:
        rows.append([str(len(rows) + 1), name, short, kind, parent, code, opened, phone])

    committee = f"中共{city}直属机关工作委员会"
    for i in range(1, departments + 1):
        word = DEPARTMENT_WORDS[(i - 1) % len(DEPARTMENT_WORDS)]
        suffix = "" if i <= len(DEPARTMENT_WORDS) else str((i - 1) // len(DEPARTMENT_WORDS) + 1)
        dept = f"{city}{word}局{suffix}"
        code = f"D{i:03d}"
        add(dept, f"{word}局{suffix}", "部门", committee if i % 2 else "WC", code, phone=f"0439-32{i:05d}")
        # The party committee is named the official way, without a parent: it is placed under the
        # department its name contains.
        add(f"中共{dept}机关委员会", "", "", "", f"{code}-P")
        for g in range(1, 3):
            add(f"第{'一二'[g - 1]}党总支", "", "党总支", f"{code}-P", f"{code}-G{g}")
            for b in range(1, 3):
                add(f"第{'一二三四'[(g - 1) * 2 + b - 1]}党支部", "", "党支部", f"{code}-G{g}", f"{code}-G{g}-B{b}")
    per_body = [industry // bodies + (1 if n < industry % bodies else 0) for n in range(bodies)]
    for n in range(1, bodies + 1):
        code = f"X{n}"
        add(f"{city}行业协调机构{n}", f"协调{n}", "协调机构", "WC", code)
        for m in range(1, per_body[n - 1] + 1):
            add(f"{city}第{n}行业第{m}单位", "", "行业单位", code, f"{code}-I{m:02d}")
    per_street = [communities // streets + (1 if n < communities % streets else 0) for n in range(streets)]
    community_codes = []
    for s in range(1, streets + 1):
        code = f"S{s}"
        add(f"第{s}街道办事处", f"第{s}街道", "街道", city, code)
        for c in range(1, per_street[s - 1] + 1):
            ccode = f"{code}-C{c:02d}"
            community_codes.append(ccode)
            add(f"第{s}街道第{c}社区", "", "社区", code, ccode)
    for k in range(checkpoints):
        ccode = community_codes[k % len(community_codes)]
        add(f"卡点{k + 1:03d}", "", "卡点", ccode, f"{ccode}-K{k // len(community_codes) + 1}")
    return rows


def write_tree(path: Path, rows: list[list[str]], *, title: str = "白岭市组织架构表") -> Path:
    """The tree as an office saves it: a merged title row above the header."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("组织架构")
    sheet.merge_range(0, 0, 0, len(HEADERS) - 1, title)
    sheet.write_row(1, 0, HEADERS)
    for r, row in enumerate(rows, start=2):
        sheet.write_row(r, 0, row)
    book.close()
    return path


def expected_counts(rows: list[list[str]]) -> dict[str, int]:
    kinds = {"部门": "departments", "党总支": "general_branches", "党支部": "branches", "协调机构": "coordinating_bodies",
             "行业单位": "industry_units", "街道": "streets", "社区": "communities", "卡点": "checkpoints", "": "party_committees"}
    counts: dict[str, int] = {}
    for row in rows:
        counts[kinds[row[3]]] = counts.get(kinds[row[3]], 0) + 1
    return counts


ACCOUNT_HEADERS = ["序号", "姓名", "单位", "角色", "用户名", "重置密码"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"


def account_rows(tree: list[list[str]], count: int = 800) -> list[list[str]]:
    """Accounts for a city's tree: a liaison per department, a secretary per branch, staff per
    community and officers per checkpoint, until ``count``."""
    plan: list[tuple[str, str]] = []
    for row in tree:
        kind, code = row[3], row[5]
        role = {"部门": "单位联络员", "党支部": "支部书记", "社区": "社区工作人员", "卡点": "卡点工作人员",
                "行业单位": "单位联络员", "街道": "街道工作人员"}.get(kind)
        if role:
            plan.append((code, role))
    rows = []
    for n in range(count):
        code, role = plan[n % len(plan)]
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)] + ("" if n < 400 else GIVEN[n % 7])
        rows.append([str(n + 1), name, code, role, "", ""])
    return rows


def write_sheet(path: Path, headers: list[str], rows: list[list[str]], *, title: str = "") -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    start = 0
    if title:
        sheet.merge_range(0, 0, 0, len(headers) - 1, title)
        start = 1
    sheet.write_row(start, 0, headers)
    for r, row in enumerate(rows, start=start + 1):
        sheet.write_row(r, 0, row)
    book.close()
    return path


ROSTER_HEADERS = ["序号", "姓名", "性别", "身份证号码", "所在单位", "现任职务", "政治面貌", "所在党支部", "手机号码"]


def id_number(n: int, year: int = 1975) -> str:
    from fangkong.core.idcard import check_digit

    body = f"220202{year + n % 30}{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
    return body + check_digit(body)


def roster_rows(tree: list[list[str]], count: int = 5000) -> list[list[str]]:
    """Staff of the departments, with their party branch, as a personnel office lists them."""
    departments = [r for r in tree if r[3] == "部门"]
    rows = []
    for n in range(count):
        dept = departments[n % len(departments)]
        branch = f"{dept[5]}-G{n % 2 + 1}-B{n % 2 + 1}"
        party = n % 3 != 0
        rows.append([str(n + 1), SURNAMES[n % len(SURNAMES)] + GIVEN[(n // 7) % len(GIVEN)] + GIVEN[n % 5],
                     "男" if n % 2 else "女", id_number(n), dept[2] or dept[1], "科员" if n % 9 else "副局长",
                     "中共党员" if party else "群众", branch if party else "", f"139{n:08d}"])
    return rows

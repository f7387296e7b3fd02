"""Importing experts from XLSX: per-row Chinese errors, all-or-nothing unless valid rows are chosen."""

from __future__ import annotations

import io

from openpyxl import Workbook

from sciplan.review import experts as pool
from sciplan.review.models import Expert

HEADER = ["姓名", "工作单位", "单位统一社会信用代码", "评审领域", "职称/职务", "手机", "电子邮箱", "是否在库"]


def _sheet(rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


ROWS = [
    ["张伟", "湖南大学", "", "现代石化（石化新材料）、新材料", "教授", "13800001111", "", "是"],
    ["", "中南大学", "", "新材料", "教授", "", "", ""],
    ["李强", "湘潭大学", "", "航空航天", "教授", "12345", "bad-mail", ""],
    ["张伟", "湖南大学", "", "新材料", "教授", "", "", ""],
]


def test_import_with_errors_reports_each_row_and_imports_nothing(dictionaries, personas):
    result = pool.import_experts(_sheet(ROWS), by=personas.bureau)

    assert [(row.line, row.errors) for row in result.errors] == [
        (3, {"name": "请填写姓名。"}),
        (
            4,
            {
                "fields": "评审领域“航空航天”不在1+3+X产业目录中。",
                "phone": "请填写手机号码或带区号的固定电话（如0730-8186096）。",
                "email": "电子邮箱格式不正确。",
            },
        ),
        (5, {"name": "与第2行重复。"}),
    ]
    assert (result.imported, Expert.objects.count()) == (0, 0)


def test_import_valid_rows_when_chosen(dictionaries, personas):
    result = pool.import_experts(_sheet(ROWS), by=personas.bureau, import_valid_rows=True)

    assert result.imported == 1
    assert list(Expert.objects.values_list("name", "fields", "phone")) == [
        ("张伟", ["new_materials", "petrochem"], "13800001111")
    ]


def test_import_page_shows_row_errors(dictionaries, personas, client):
    client.force_login(personas.bureau)
    upload = _sheet(ROWS)
    upload.name = "专家.xlsx"

    response = client.post("/review/experts/import/", {"file": upload})

    body = response.content.decode()
    assert response.status_code == 422
    assert "第4行" in body and "评审领域“航空航天”不在1+3+X产业目录中；" in body
    assert Expert.objects.count() == 0


def test_import_api_refuses_a_file_that_is_not_xlsx(dictionaries, personas, api):
    fake = io.BytesIO(b"%PDF-1.4 not a sheet")
    fake.name = "experts.xlsx"

    response = api(personas.bureau).upload("/review/experts/import", {"file": fake})

    assert (response.status_code, response.json()["errors"]) == (
        422,
        {"file": "请上传XLSX格式的专家名单（可先下载模板）。"},
    )

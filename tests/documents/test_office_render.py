# ruff: noqa: S603, S607 -- runs the office tools (soffice, pdftoppm, pdffonts) on files this test wrote
"""Every DOCX and XLSX SciPlan produces, laid out by real office software (LibreOffice headless), and
SciPlan's own PDFs, checked page by page: paper size and orientation, page count, headers, page
numbers, rows kept whole, no clipped cell text; first pages rendered to PNG as artifacts
(``$SCIPLAN_ARTIFACTS/documents``, default ``artifacts/``).

All files are converted in one ``soffice`` call, once per test run. Without LibreOffice the module is
skipped with the reason — except in CI (``CI=true``), where a missing LibreOffice fails.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from openpyxl import load_workbook
from pypdf import PdfReader

from sciplan.applications import actions
from sciplan.applications.models import Application
from sciplan.documents import exports, services
from sciplan.recommendations.exporters import ONE_LINE_COLUMNS, export_summary
from sciplan.review.exporters import ranking_xlsx
from tests.documents.builders import submitted_max_version
from tests.documents.conftest import squeeze
from tests.factories import application_in_state
from tests.recommendations.conftest import record_clean_credit

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
if SOFFICE is None and os.environ.get("CI", "").lower() != "true":
    pytest.skip(
        "LibreOffice (soffice) is not installed: scripts/install-system-deps.sh --browser installs it",
        allow_module_level=True,
    )

ARTIFACTS = Path(os.environ.get("SCIPLAN_ARTIFACTS", "artifacts")) / "documents"
PAGE_NUMBER = re.compile(r"第\s*\d+\s*页[，,\s　]*共\s*\d+\s*页")
A4 = (595, 842)  # points, portrait


@dataclass
class Office:
    """One file as SciPlan produced it and as LibreOffice printed it."""

    name: str
    source: bytes
    landscape: bool
    pages: tuple[int, int]
    headers: list[str]
    whole: list[list[str]] = field(default_factory=list)  # texts that must print on one page together
    cells: list[str] = field(default_factory=list)  # cell texts that must print unclipped
    one_line: list[str] = field(default_factory=list)  # texts that must print unwrapped, on one line
    cover: bool = False  # the first page carries no page number
    pdf: bytes = b""

    def page_texts(self) -> list[str]:
        return [squeeze(page.extract_text()) for page in PdfReader(io.BytesIO(self.pdf)).pages]

    def lines(self) -> list[str]:
        """Every printed line (a table row's cells share a line), without spaces."""
        pages = PdfReader(io.BytesIO(self.pdf)).pages
        return [squeeze(line) for page in pages for line in page.extract_text().split("\n")]


def _xlsx_cells(data: bytes, *, first_row: int = 1) -> list[str]:
    texts = []
    for ws in load_workbook(io.BytesIO(data)).worksheets[:1]:
        for row in ws.iter_rows(min_row=first_row):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.strip():
                    texts.extend(line for line in cell.value.split("\n") if line.strip())
    return texts


def _docx_one_line(data: bytes, columns: set[int]) -> list[str]:
    """The texts of ``columns`` (header and body) of the DOCX's first table, line by line."""
    table = DocxDocument(io.BytesIO(data)).tables[0]
    texts = [cell.text for row in table.rows for i, cell in enumerate(row.cells) if i in columns]
    return list(dict.fromkeys(line for text in texts for line in text.split("\n") if line.strip()))


SUMMARY_HEADERS = ["序号", "联合体名称", "统一社会信用代码", "所在县市区/园区", "成员单位名单", "备注"]


def _summary_files(
    user, call, application: Application, place: str, label: str, *, cosign: bool
) -> dict[str, Office]:
    """One recommender's 信息汇总表, as DOCX and as XLSX."""
    uscc = Application.objects.get(pk=application.pk).lead_unit.uscc
    docx_data, _, _ = export_summary(user, call.pk, "docx")
    xlsx_data, _, _ = export_summary(user, call.pk, "xlsx")
    common = {"landscape": True, "pages": (1, 3), "headers": SUMMARY_HEADERS}
    signatures = ["填表人", *(["财政部门负责人（签字）"] if cosign else [])]
    return {
        f"summary_{place}_word.docx": Office(
            f"信息汇总表（{label}）",
            docx_data,
            cells=[*signatures, uscc],
            one_line=_docx_one_line(docx_data, ONE_LINE_COLUMNS),
            **common,
        ),
        f"summary_{place}.xlsx": Office(
            f"信息汇总表（{label}）", xlsx_data, cells=_xlsx_cells(xlsx_data, first_row=3), **common
        ),
    }


def _convert(files: dict[str, Office]) -> None:
    if SOFFICE is None:
        pytest.fail("LibreOffice (soffice) is required in CI: install libreoffice-writer libreoffice-calc")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sources = []
        for name, office in files.items():
            path = root / name
            path.write_bytes(office.source)
            sources.append(str(path))
        subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation=file://{root / 'profile'}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(root / "out"),
                *sources,
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        for name, office in files.items():
            office.pdf = (root / "out" / (Path(name).stem + ".pdf")).read_bytes()


def _pictures(name: str, pdf: bytes) -> None:
    """The first two pages as PNG, for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "2",
                handle.name,
                str(ARTIFACTS / Path(name).stem),
            ],
            check=True,
            timeout=60,
        )


def _recommend(application: Application, recommender, rank: int) -> None:
    application = Application.objects.get(pk=application.pk)
    actions.perform(application, "accept", by=recommender)
    record_clean_credit(application, recommender)
    actions.perform(
        Application.objects.get(pk=application.pk),
        "recommend",
        by=recommender,
        payload={"opinion": "同意推荐。", "rank": rank},
    )


def _kv_pairs(snapshot: dict) -> list[list[str]]:
    fields = snapshot["fields"]
    return [
        ["联系人", fields["contact_name"][:6]],
        ["联系人手机", fields["contact_mobile"]],
    ]


_CACHE: dict[str, Office] = {}


@pytest.fixture
def office(call, personas, settings):
    """Every office file, converted once per run (the databases of later tests differ, the layouts
    do not)."""
    if _CACHE:
        return _CACHE
    settings.OTP_ENFORCED = False
    maximal = submitted_max_version(call, personas.applicant_b, members=15)
    county = application_in_state(call, personas.applicant, "submitted", direction="云溪新材料")
    _recommend(county, personas.county, 1)
    park = application_in_state(call, personas.applicant_gangcheng, "submitted", direction="智慧物流")
    _recommend(park, personas.park, 1)
    recognised = application_in_state(call, personas.applicant_jiangbei, "recognized", direction="华容食品")

    snap = maximal.snapshot
    members = [m["name"] for m in snap["members"]]
    applications, _ = exports.export("applications", by=personas.bureau)
    meeting, _ = exports.export("meeting", by=personas.bureau)
    recognized, _ = exports.export("recognized", by=personas.bureau)
    ranking = ranking_xlsx(
        [
            {
                "rank": i,
                "tied": False,
                "name": f"岳阳市第{i}创新联合体",
                "lead_unit": "岳阳华辰新材料股份有限公司",
                "recommender": "岳阳经济技术开发区",
                "scores": 7,
                "panel": 7,
                "mean": Decimal("88.50") - i,
                "score": Decimal("88.40") - i,
                "trimmed": True,
            }
            for i in range(1, 16)
        ],
        title="评审排名",
    )
    files = {
        "application.docx": Office(
            "申报书",
            services.render(maximal, "application_docx"),
            landscape=False,
            pages=(15, 45),
            headers=["序号", "单位名称", "统一社会信用代码", "类别"],
            whole=[*_kv_pairs(snap), *[[name[:10]] for name in members]],
            cover=True,
        ),
        "plan.docx": Office(
            "实施方案",
            services.render(maximal, "plan_docx"),
            landscape=False,
            pages=(8, 30),
            headers=["年度", "营业收入（万元）", "研发投入（万元）"],
            cells=[str(f["year"]) for f in snap["finances"]],
            cover=True,
        ),
        **_summary_files(personas.county, call, county, "county", "县", cosign=True),
        **_summary_files(personas.park, call, park, "park", "园区", cosign=False),
        "meeting.xlsx": Office(
            "会议审议名单",
            meeting,
            landscape=True,
            pages=(1, 2),
            headers=exports.MEETING_HEADERS,
            cells=_xlsx_cells(meeting),
        ),
        "recognized.xlsx": Office(
            "已认定名单",
            recognized,
            landscape=True,
            pages=(1, 2),
            headers=["创新联合体名称", "认定文号", "成员单位"],
            cells=[Application.objects.get(pk=recognised.pk).lead_unit.name],
        ),
        "ranking.xlsx": Office(
            "评审排名",
            ranking,
            landscape=True,
            pages=(1, 2),
            headers=["名次", "联合体名称", "最终得分"],
            cells=_xlsx_cells(ranking),
        ),
        "applications.xlsx": Office(
            "申报书汇总（屏幕）",
            applications,
            landscape=True,
            pages=(2, 80),
            headers=["序号", "联合体名称"],
        ),
    }
    _convert(files)
    for name, item in files.items():
        _pictures(name, item.pdf)
    _CACHE.update(files)
    return _CACHE


OFFICE_FILES = [
    "application.docx",
    "plan.docx",
    "summary_county_word.docx",
    "summary_park_word.docx",
    "summary_county.xlsx",
    "summary_park.xlsx",
    "meeting.xlsx",
    "recognized.xlsx",
    "ranking.xlsx",
    "applications.xlsx",
]


@pytest.mark.parametrize("name", OFFICE_FILES)
def test_office_file_prints_on_a4_with_its_headers_and_page_numbers(office, name):
    item = office[name]
    reader = PdfReader(io.BytesIO(item.pdf))
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}
    texts = item.page_texts()
    expected_size = (A4[1], A4[0]) if item.landscape else A4
    numbered = [bool(PAGE_NUMBER.search(text)) for text in texts[1 if item.cover else 0 :]]

    assert sizes == {expected_size}
    assert item.pages[0] <= len(reader.pages) <= item.pages[1]
    assert [h for h in item.headers if squeeze(h) not in "".join(texts)] == []
    assert numbered == [True] * len(numbered)


@pytest.mark.parametrize("name", [n for n in OFFICE_FILES if n != "applications.xlsx"])
def test_office_file_prints_every_cell_whole(office, name):
    item = office[name]
    texts = item.page_texts()
    everything = "".join(texts)
    lines = item.lines()

    clipped = [text for text in item.cells if squeeze(text) not in everything]
    split = [
        group for group in item.whole if not any(all(squeeze(t) in page for t in group) for page in texts)
    ]
    wrapped = [text for text in item.one_line if not any(squeeze(text) in line for line in lines)]

    assert item.cells or item.whole, "nothing to check: the file lists no texts"
    assert (clipped, split, wrapped) == ([], [], [])


def test_screen_export_is_not_scaled_to_one_page_wide(office):
    ws = load_workbook(io.BytesIO(office["applications.xlsx"].source)).active
    pages = len(PdfReader(io.BytesIO(office["applications.xlsx"].pdf)).pages)

    assert (bool(ws.sheet_properties.pageSetUpPr.fitToPage), ws.freeze_panes, bool(ws.auto_filter.ref)) == (
        False,
        "A2",
        True,
    )
    assert pages >= 2  # 60 columns at a legible size need several sheets of paper


@pytest.mark.parametrize("kind", ["application_pdf", "plan_pdf", "receipt_pdf"])
def test_own_pdf_embeds_its_fonts_and_prints_the_code_on_every_page_but_the_cover(call, personas, kind):
    version = application_in_state(call, personas.applicant, "submitted").versions.get()
    data = services.render(version, kind)
    reader = PdfReader(io.BytesIO(data))
    texts = [squeeze(page.extract_text()) for page in reader.pages]
    code = services.codes.display(services.codes.code_for(version))
    fonts = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    first = 0 if kind == "receipt_pdf" else 1
    _pictures(f"sciplan_{kind}.pdf", data)

    assert rows != [] and [r[0] for r in rows if r[-5] != "yes"] == []  # the "emb" column
    assert "\ufffd" not in "".join(texts)
    assert squeeze(version.snapshot["consortium_name"]) in "".join(texts)
    assert len(texts) > first
    assert [code in text for text in texts[first:]] == [True] * (len(texts) - first)

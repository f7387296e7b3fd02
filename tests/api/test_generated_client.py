"""The served schema, proven by a real client: a Python client generated from ``/api/v1/openapi.json``
with openapi-python-client (pinned in pyproject.toml) drives one whole path over a live server —
registration of a unit, its approval, an application filled in and submitted, the county's credit check
and recommendation with the finance department's co-signature, the bureau's intake and formal review,
and the bureau's draw of experts (issue: an API integrators can build on).

Nothing generated is committed: the client is written into a temporary directory at test time. A
schema the generator cannot read fails here, as would an operation it had to leave out.
"""

from __future__ import annotations

import importlib
import io
import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from sciplan.accounts import uscc
from sciplan.accounts.demo import DEMO_PASSWORD, current_demo_code
from sciplan.applications.demo import MEMBER_TEMPLATES, NARRATIVE, sample_pdf
from sciplan.applications.models import Application
from sciplan.calls.models import Industry
from sciplan.core import clock
from sciplan.review.services import checklist_items

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "sciplan_client"


def _generator() -> str:
    found = shutil.which("openapi-python-client") or str(
        Path(sys.executable).with_name("openapi-python-client")
    )
    if not Path(found).exists():
        pytest.fail("openapi-python-client is not installed (pyproject.toml, dev extras)")
    return found


@pytest.fixture
def generated(live_server, tmp_path, monkeypatch) -> ModuleType:
    """The client package generated from the schema the live server serves."""
    schema = httpx.get(f"{live_server.url}/api/v1/openapi.json", timeout=30).json()
    (tmp_path / "openapi.json").write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "config.json").write_text(json.dumps({"post_hooks": [], "package_name_override": PACKAGE}))
    run = subprocess.run(  # noqa: S603 - our own generator binary and a schema file we wrote
        [
            _generator(),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--config",
            str(tmp_path / "config.json"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    operations = {op["operationId"] for item in schema["paths"].values() for op in item.values()}
    modules = {p.stem for p in (tmp_path / PACKAGE / "api").rglob("*.py") if p.stem != "__init__"}
    assert sorted(operations - modules) == [], "operations the generator could not read"
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    return importlib.import_module(PACKAGE)


class Integrator:
    """Calls operations of the generated client by operationId, as an integrator would."""

    def __init__(self, package: ModuleType, base_url: str):
        self.package = package
        self.base_url = base_url  # the schema's paths carry /api/v1/
        self.root = Path(package.__file__).parent / "api"
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.types = importlib.import_module(f"{PACKAGE}.types")

    def anonymous(self):
        return self.package.Client(base_url=self.base_url, raise_on_unexpected_status=True, timeout=60)

    def signed_in(self, token: str):
        return self.package.AuthenticatedClient(
            base_url=self.base_url, token=token, raise_on_unexpected_status=True, timeout=60
        )

    def op(self, operation_id: str) -> ModuleType:
        (path,) = self.root.rglob(f"{operation_id}.py")
        return importlib.import_module(f"{PACKAGE}.api.{path.parent.name}.{operation_id}")

    def body(self, model: str, data: dict):
        return getattr(self.models, model).from_dict(data)

    def call(self, operation_id: str, client, expect: int = 200, **kwargs):
        response = self.op(operation_id).sync_detailed(client=client, **kwargs)
        assert response.status_code == expect, (operation_id, response.status_code, response.content.decode())
        return response.parsed

    def pdf(self, name: str):
        return self.types.File(payload=io.BytesIO(sample_pdf()), file_name=name, mime_type="application/pdf")

    def sign_in(self, username: str, password: str = DEMO_PASSWORD, otp: str | None = None):
        data = {"username": username, "password": password, "name": "集成测试"}
        if otp:
            data["otp"] = otp
        token = self.call("auth_token_create", self.anonymous(), 201, body=self.body("TokenIn", data))
        return self.signed_in(token.token)


def _fill(it: Integrator, client, application_id: int, call, version: int) -> int:
    industry = Industry.objects.get(code="petrochem")
    today = clock.local(clock.now()).date()
    data = {
        "version": version,
        "direction": "先进储能材料",
        "industry_id": industry.pk,
        "tech_field": "固态电解质与电池材料",
        "contact_name": "钱进",
        "contact_post": "技术中心主任",
        "contact_mobile": "13807309999",
        "contact_email": "qian@example.cn",
        "start_date": today.replace(month=1, day=1).isoformat(),
        "end_date": today.replace(year=today.year + 2, month=12, day=31).isoformat(),
        "planned_investment": "5200.00",
        "lead_legal_rep": "钱进",
        "lead_enterprise_type": "民营企业",
        "lead_credentials": ["高新技术企业"],
        "lead_rd_staff": 120,
        "lead_invention_patents": 30,
        "lead_standing_level": "province",
        "lead_standing": "公司是省内储能材料领域龙头企业。",
        "finances": [
            {"year": year, "revenue": str(40000 + i * 3000), "rd_spending": str(450 + i * 20)}
            for i, year in enumerate(call.rd_years)
        ],
        "decision_body": "设立联合体理事会，负责重大事项决策。",
        "execution_body": "理事会下设秘书处，负责日常运行。",
        "meeting_frequency": "理事会每半年召开一次",
        "liaison_name": "孙丽",
        "liaison_post": "秘书长",
        "liaison_mobile": "13907301111",
        "ip_sharing": "按投入与贡献约定知识产权归属。",
        "member_entry_exit": "新成员经理事会三分之二以上同意加入。",
        "basis": NARRATIVE.format(direction="先进储能材料"),
        "goal_year1": "完成关键工艺中试。",
        "goal_year2": "实现首批产品本地配套。",
        "goal_year3": "形成产业化能力。",
        "task_application": "应用一代：现有产品性能提升。",
        "task_development": "研发一代：新一代材料开发。",
        "task_reserve": "储备一代：前沿技术预研。",
        "local_support": "三年内本地配套率提升至50%。",
        "transfer": "依托中试基地推动成果就地转化。",
        "service_platform": "共建检验检测公共服务平台。",
        "budget_plan": "总投入5200万元。",
        # Sources equal uses every year, and the three years add up to the planned 5200 万元.
        "budget": [
            {
                "index": index,
                "source_lead": "1400",
                "source_members": members,
                "source_other": "0",
                "use_equipment": "700",
                "use_materials": materials,
                "use_personnel": "300",
                "use_cooperation": "150",
                "use_platform": "100",
                "use_other": "50",
            }
            for index, members, materials in ((1, "300", "400"), (2, "350", "450"), (3, "350", "450"))
        ],
        "schedule": "第一年中试，第二年示范，第三年产业化。",
        "safeguards": "建立理事会制度与考核激励机制。",
        "expected_results": "新增发明专利15项。",
    }
    saved = it.call(
        "application_update", client, application_id=application_id, body=it.body("ApplicationPatch", data)
    )
    return saved.version


def test_a_generated_client_walks_from_registration_to_the_bureaus_draw(
    generated, live_server, call, personas, django_capture_on_commit_callbacks
):
    it = Integrator(generated, live_server.url)
    today = clock.local(clock.now()).date()
    county, finance = personas.county, personas.finance

    # 1. The unit registers (no token) and the county approves it.
    unit = it.call(
        "unit_register",
        it.anonymous(),
        201,
        body=it.body(
            "UnitRegisterIn",
            {
                "unit_name": "岳阳新澜科技有限公司",
                "uscc": uscc.build("91430600", "MA4L0Q07"),
                "recommender_id": county.recommender_id,
                "username": "xinlan_admin",
                "name": "钱进",
                "mobile": "13807309999",
                "password": "Xinlan-2024-ok",
            },
        ),
    )
    as_county = it.sign_in(county.username)
    approved = it.call(
        "unit_approve", as_county, unit_id=unit.id, body=it.body("UnitDecisionIn", {"approve": True})
    )
    assert approved.status == "approved"

    # 2. The applicant reads the call, creates, fills in and completes the application, and submits it.
    applicant = it.sign_in("xinlan_admin", "Xinlan-2024-ok")
    detail = it.call("call_get", it.anonymous(), call_id=call.pk)
    created = it.call(
        "application_create", applicant, 201, body=it.body("ApplicationCreateIn", {"call_id": detail.id})
    )
    pk = created.id
    _fill(it, applicant, pk, detail, created.version)
    platform = it.call(
        "platform_create",
        applicant,
        201,
        application_id=pk,
        body=it.body(
            "PlatformIn",
            {
                "name": "湖南省储能材料工程技术研究中心",
                "level": 2,
                "authority": "湖南省科学技术厅",
                "year": today.year - 3,
            },
        ),
    )
    upload = it.models.AttachmentUploadMultiPartBodyParams
    kind = it.models.AttachmentUploadMultiPartBodyParamsAttachmentKind
    it.call(
        "attachment_upload",
        applicant,
        201,
        application_id=pk,
        body=upload(file=it.pdf("平台证书.pdf"), kind=kind("platform_certificate"), platform_id=platform.id),
    )
    for index, (name, code, category, local, role) in enumerate(MEMBER_TEMPLATES[:3]):
        member = it.call(
            "member_create",
            applicant,
            201,
            application_id=pk,
            body=it.body(
                "MemberIn",
                {
                    "name": name,
                    "uscc": code,
                    "category": category,
                    "in_yueyang": local,
                    "role": role,
                    "agreement_signed_on": (today - timedelta(days=500)).isoformat(),
                    "agreement_years": 5,
                    "cooperation_started_on": (today - timedelta(days=700)).isoformat(),
                    "cooperation_results": "联合申请发明专利3项。",
                    "contact_name": f"成员联系人{index + 1}",
                    "contact_mobile": f"1370730{index:04d}",
                },
            ),
        )
        it.call(
            "attachment_upload",
            applicant,
            201,
            application_id=pk,
            body=upload(file=it.pdf(f"{name}合作协议.pdf"), kind=kind("agreement"), member_id=member.id),
        )
        it.call(
            "member_confirm",
            it.anonymous(),
            body=it.body(
                "MemberConfirmIn", {"token": member.confirm_token, "confirmer_name": f"成员联系人{index + 1}"}
            ),
        )
    for required in detail.required_attachments:
        if required.code not in ("platform_certificate", "agreement"):
            it.call(
                "attachment_upload",
                applicant,
                201,
                application_id=pk,
                body=upload(file=it.pdf(f"{required.label}.pdf"), kind=kind(required.code)),
            )
    eligibility = it.call("eligibility_check", applicant, application_id=pk)
    assert [r.code for r in eligibility.rules if r.hard and not r.passed] == []
    submitted = it.call(
        "application_transition",
        applicant,
        application_id=pk,
        body=it.body("TransitionIn", {"action": "submit", "idempotency_key": "xinlan-submit-0001"}),
    )
    assert (submitted.application.status, submitted.version.number) == ("submitted", 1)

    # 3. The county accepts, records the credit check and its letter, recommends; finance co-signs.
    def transition(client, action: str, **extra):
        return it.call(
            "application_transition",
            client,
            application_id=pk,
            body=it.body("TransitionIn", {"action": action, **extra}),
        ).application.status

    assert transition(as_county, "accept") == "accepted"
    it.call(
        "credit_check_record",
        as_county,
        application_id=pk,
        body=it.body(
            "CreditChecksIn",
            {
                "entries": [
                    {"source": s, "result": "clean", "checked_on": today.isoformat()}
                    for s in ("creditchina", "zxgk", "gsxt")
                ]
            },
        ),
    )
    it.call(
        "recommendation_letter_upload",
        as_county,
        201,
        call_id=call.pk,
        body=it.models.RecommendationLetterUploadFileParams(file=it.pdf("推荐函.pdf")),
    )
    assert (
        transition(as_county, "recommend", reason="同意推荐", payload={"opinion": "合作基础扎实，同意推荐。"})
        == "awaiting_finance"
    )
    assert transition(it.sign_in(finance.username), "finance_confirm") == "recommended"

    # 4. The bureau registers the paper copy, passes the formal review, adds experts and draws.
    bureau = it.sign_in(personas.bureau.username, otp=current_demo_code(personas.bureau))
    it.call(
        "paper_receipt_create",
        bureau,
        201,
        application_id=pk,
        body=it.body(
            "PaperReceiptIn", {"received_on": today.isoformat(), "copies": 2, "received_by": "李娜"}
        ),
    )
    checklist = {key: True for key, _ in checklist_items(call)}
    reviewed = it.call(
        "formal_review_create",
        bureau,
        201,
        application_id=pk,
        body=it.body("FormalReviewIn", {"outcome": "pass", "checklist": checklist}),
    )
    assert reviewed.status == "under_review"
    with django_capture_on_commit_callbacks(execute=True):
        for i, organisation in enumerate(("湖南大学", "湘潭大学", "长沙理工大学")):
            expert = it.call(
                "expert_create",
                bureau,
                201,
                body=it.body(
                    "ExpertIn",
                    {
                        "name": f"评审专家{i}",
                        "organisation": organisation,
                        "fields": ["petrochem"],
                        "email": f"expert{i}@example.cn",
                    },
                ),
            )
            it.call("expert_invite", bureau, expert_id=expert.id)
    drawn = it.call(
        "panel_draw",
        bureau,
        201,
        body=it.body("DrawIn", {"applications": [pk], "size": 2, "seed": "integration-0001"}),
    )
    verified = it.call("panel_verify", bureau, draw_id=drawn.id)

    assert len(drawn.result) == 2
    assert verified.ok is True
    assert Application.objects.get(pk=pk).status == "under_review"

"""SPEC §9: the bureau's override of one unified social credit code reaches every place a code is
entered — unit registration, a member unit of an application, an expert's organisation — and the
same normalisation (invisible characters, full width) applies everywhere."""

from __future__ import annotations

import pytest
from django.test import Client

from sciplan.accounts import services, uscc
from sciplan.accounts.models import UsccOverride
from sciplan.applications import eligibility
from sciplan.applications.services import add_member
from sciplan.calls.models import Recommender
from sciplan.core.errors import NotAllowed, ValidationFailed
from sciplan.core.models import AuditEvent
from sciplan.review import experts

pytestmark = pytest.mark.django_db

# A real-looking early code whose organisation type (position 2) is not one GB 32100 lists for 工商;
# both check characters are right.
EARLY_CODE = uscc.build("90430600", "MA4L7E01")
# A code whose last check character fails.
BAD_CHECK = "91430600MA4L0H018Y"


def _member(code: str) -> dict:
    return {
        "name": "岳阳老字号供应有限公司",
        "uscc": code,
        "category": "chain_enterprise",
        "role": "关键部件供应",
    }


def _identity(application) -> eligibility.RuleResult:
    return next(r for r in eligibility.check_application(application) if r.code == "identity")


def test_member_with_an_early_code_is_refused_until_the_bureau_overrides_it(complete_application, personas):
    with pytest.raises(ValidationFailed) as refused:
        add_member(complete_application, _member(EARLY_CODE), by=personas.applicant)

    services.override_uscc(
        code=EARLY_CODE, unit_name="岳阳老字号供应有限公司", reason="已核对营业执照原件", by=personas.bureau
    )
    added = add_member(complete_application, _member(EARLY_CODE), by=personas.applicant)

    assert "请联系市科技局核实" in refused.value.field_errors["uscc"]
    assert added.member.uscc == EARLY_CODE
    assert _identity(complete_application).passed is True


def test_an_overridden_member_code_stays_valid_in_the_eligibility_check(complete_application, personas):
    member = complete_application.members.first()
    member.uscc = BAD_CHECK
    member.save()
    before = _identity(complete_application)

    services.override_uscc(code=BAD_CHECK, unit_name=member.name, reason="执照核对无误", by=personas.bureau)
    after = _identity(complete_application)

    assert before.passed is False
    assert any(member.name in m for m in before.messages)
    assert after.passed is True


def test_override_is_for_the_bureau_only_audited_with_its_reason(personas):
    for persona in ("applicant", "county", "admin"):
        with pytest.raises(NotAllowed):
            services.override_uscc(code=EARLY_CODE, unit_name="甲", reason="理由", by=personas[persona])

    override = services.override_uscc(
        code=f"\u200b{EARLY_CODE.lower()} ",
        unit_name="岳阳老字号供应有限公司",
        reason="已核对执照",
        by=personas.bureau,
    )
    event = AuditEvent.objects.get(event_type="unit.uscc_override")

    assert override.uscc == EARLY_CODE
    assert event.actor_id == personas.bureau.pk
    assert event.detail["uscc"] == EARLY_CODE
    assert event.detail["reason"] == "已核对执照"


@pytest.mark.parametrize(
    ("code", "reason", "field", "message"),
    [
        (uscc.build("91430600", "MA4L7E02"), "理由", "uscc", "该代码校验通过，无需豁免。"),
        ("91AAAA00MA4L1PCY13", "理由", "uscc", "此类错误不能豁免"),
        ("000000000000000000", "理由", "uscc", "此类错误不能豁免"),
        (EARLY_CODE, "  ", "reason", "请填写豁免理由"),
    ],
)
def test_override_refuses_valid_impossible_codes_and_a_missing_reason(personas, code, reason, field, message):
    with pytest.raises(ValidationFailed) as refused:
        services.override_uscc(code=code, unit_name="甲单位", reason=reason, by=personas.bureau)

    assert message in refused.value.field_errors[field]
    assert UsccOverride.objects.count() == 0
    assert AuditEvent.objects.filter(event_type="unit.uscc_override").count() == 0


def test_override_twice_is_refused_with_a_message(personas):
    services.override_uscc(code=EARLY_CODE, unit_name="甲单位", reason="核对无误", by=personas.bureau)

    with pytest.raises(ValidationFailed) as refused:
        services.override_uscc(code=EARLY_CODE, unit_name="甲单位", reason="核对无误", by=personas.bureau)

    assert refused.value.field_errors["uscc"] == "该代码已豁免，无需重复办理。"


def test_registration_and_expert_organisation_accept_the_overridden_code(personas):
    services.override_uscc(
        code=EARLY_CODE, unit_name="岳阳老字号供应有限公司", reason="核对无误", by=personas.bureau
    )
    data = {
        "unit_name": "岳阳老字号供应有限公司",
        "uscc": f"\ufeff{EARLY_CODE}",
        "recommender": Recommender.objects.get(code="430603").pk,
        "username": "laozihao_admin",
        "name": "钱进",
        "mobile": "13807309998",
        "password": "Laozihao-2024-ok",
    }

    user = services.register_unit(data)
    expert, expert_errors = experts.clean_expert(
        {
            "name": "周工",
            "organisation": "岳阳老字号供应有限公司",
            "organisation_uscc": f"{EARLY_CODE}\u200b",
        },
        industries=experts.industry_names(),
    )
    _, refused = experts.clean_expert({"organisation_uscc": BAD_CHECK}, industries=experts.industry_names())

    assert user.unit.uscc == EARLY_CODE
    assert "organisation_uscc" not in expert_errors
    assert expert["organisation_uscc"] == EARLY_CODE
    assert "请联系市科技局核实" in refused["organisation_uscc"]


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"])
def test_member_code_pasted_with_zero_width_or_full_width_characters_is_normalised(
    complete_application, personas, invisible
):
    code = uscc.build("91430600", "MA4L7E03")
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)

    pasted = f"{invisible}{code[:6]}{invisible}{full_width[6:]}{invisible}"
    added = add_member(complete_application, _member(pasted), by=personas.applicant)

    assert len(pasted) == 21
    assert added.member.uscc == code


def test_override_page_is_the_bureaus_and_records_an_override(personas):
    bureau = Client()
    bureau.force_login(personas.bureau)
    others = {}
    for persona in ("applicant", "county", "admin", "finance"):
        client = Client()
        client.force_login(personas[persona])
        others[persona] = (
            client.get("/accounts/uscc-overrides/").status_code,
            client.post(
                "/accounts/uscc-overrides/", {"uscc": EARLY_CODE, "unit_name": "甲", "reason": "理由"}
            ).status_code,
        )

    page = bureau.get("/accounts/uscc-overrides/")
    refused = bureau.post(
        "/accounts/uscc-overrides/", {"uscc": EARLY_CODE, "unit_name": "甲单位", "reason": ""}
    )
    done = bureau.post(
        "/accounts/uscc-overrides/",
        {"uscc": EARLY_CODE, "unit_name": "甲单位", "reason": "已核对营业执照原件"},
    )
    listed = bureau.get("/accounts/uscc-overrides/")

    assert others == {p: (404, 404) for p in others}
    assert page.status_code == 200
    assert refused.status_code == 422
    assert "请填写豁免理由" in refused.content.decode()
    assert EARLY_CODE in refused.content.decode()  # nothing typed is lost
    assert (done.status_code, done["Location"]) == (302, "/accounts/uscc-overrides/")
    assert "已核对营业执照原件" in listed.content.decode()
    assert UsccOverride.objects.filter(uscc=EARLY_CODE, granted_by=personas.bureau).count() == 1

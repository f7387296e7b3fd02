from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sciplan.accounts import uscc

BODY = st.text(alphabet=uscc.ALPHABET.replace("X", ""), min_size=8, max_size=8)
AUTHORITY_AND_TYPE = st.sampled_from([a + t for a, (_, types) in uscc.AUTHORITIES.items() for t in types])
REGION = st.tuples(
    st.sampled_from(sorted(uscc.PROVINCES)), st.text(alphabet="0123456789", min_size=4, max_size=4)
).map("".join)
PREFIX = st.tuples(AUTHORITY_AND_TYPE, REGION).map("".join)


@given(prefix=PREFIX, body=BODY)
def test_uscc_built_from_the_algorithm_is_valid(prefix, body):
    code = uscc.build(prefix, body)

    assert uscc.validate(code) == code


@given(prefix=PREFIX, body=BODY, position=st.integers(min_value=0, max_value=17), data=st.data())
def test_uscc_any_single_character_change_fails(prefix, body, position, data):
    code = uscc.build(prefix, body)
    replacement = data.draw(st.sampled_from([c for c in uscc.ALPHABET if c != code[position]]))
    altered = code[:position] + replacement + code[position + 1 :]

    assert uscc.is_valid(altered) is False


@given(prefix=PREFIX, body=BODY)
def test_uscc_full_width_lower_case_and_spaces_normalise(prefix, body):
    code = uscc.build(prefix, body)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())

    assert uscc.validate(f"  {full_width[:9]} {full_width[9:]} ") == code


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example printed in GB 32100-2015
        "91440300708461136T",  # an enterprise (9…)
        "12100000400000624D",  # a public institution such as a university (1…)
        uscc.build("51430600", "MJ4L0001"),  # a social organisation (5…)
    ],
)
def test_uscc_real_and_letter_prefixed_codes_pass(code):
    assert uscc.validate(code) == code


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "请填写统一社会信用代码。"),
        ("9143060", "统一社会信用代码应为18位，您输入了7位。"),
        (
            "91430600MA4L0H01IX",
            "第17位“I”不是统一社会信用代码允许的字符（数字及除I、O、S、V、Z外的大写字母）。",
        ),
        ("91430600MA4L0H018Y", "第18位校验码不符，请核对是否输入有误。"),
        ("91430600MA4L0H028X", "第9至17位（组织机构代码）的校验位不符，请核对。"),
    ],
)
def test_uscc_invalid_codes_say_exactly_what_is_wrong(raw, message):
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate(raw)

    assert caught.value.message == message


def test_uscc_checksum_failures_are_marked_overridable():
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate("91430600MA4L0H018Y")

    assert caught.value.overridable is True


@pytest.mark.parametrize(
    ("raw", "message", "overridable"),
    [
        ("000000000000000000", "统一社会信用代码不能由同一个字符组成，请按营业执照或登记证书填写。", False),
        ("91AAAA00MA4L1PCY13", "第3至8位（登记管理机关行政区划码）应为6位数字，您输入的是“AAAA00”。", False),
        ("0A430600123456788E", "第1位“0”不是国家标准规定的登记管理部门代码，请核对。", True),
        (uscc.build("91999999", "MA4L1PCY"), "第3至8位“999999”不是有效的行政区划代码，请核对。", True),
        (
            uscc.build("90430600", "MA4L1PCY"),
            "第2位“0”不是工商部门的机构类别代码（应为1（企业）、2（个体工商户）、3（农民专业合作社）），请核对。",
            True,
        ),
        (
            uscc.build("Y2430600", "MA4L1PCY"),
            "第2位“2”不是其他部门的机构类别代码（应为1（不再具体划分机构类别）），请核对。",
            True,
        ),
    ],
)
def test_uscc_obviously_invalid_codes_are_refused_although_the_checksums_pass(raw, message, overridable):
    assert uscc.check_character(raw[:17]) == raw[17]
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate(raw)

    assert caught.value.message == message
    assert caught.value.overridable is overridable


@pytest.mark.parametrize(
    "prefix",
    [
        "11430600",
        "12100000",
        "13430600",
        "19430600",
        "21110000",
        "31430600",
        "35430600",
        "41110000",
        "51430600",
        "52430600",
        "53100000",
        "61110000",
        "71430600",
        "81430600",
        "91430600",
        "92430600",
        "93430600",
        "A1110000",
        "N2430600",
        "Y1430600",
        "91820000",
        "91650100",
        "91110108",
    ],
)
def test_uscc_every_authority_and_type_of_gb32100_passes(prefix):
    code = uscc.build(prefix, "MA4L1PCY")

    assert uscc.validate(code) == code


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"])
def test_uscc_zero_width_characters_from_web_pages_are_removed_before_counting(invisible):
    pasted = f"{invisible}91440300708461136T{invisible}"

    assert len(pasted) == 20
    assert uscc.validate(pasted) == "91440300708461136T"
    assert uscc.validate(f"914403{invisible}00708461136T") == "91440300708461136T"


def test_uscc_full_width_code_pasted_from_a_web_page_passes():
    assert uscc.validate("９１４４０３００７０８４６１１３６Ｔ") == "91440300708461136T"

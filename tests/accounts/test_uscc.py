from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sciplan.accounts import uscc

BODY = st.text(alphabet=uscc.ALPHABET.replace("X", ""), min_size=8, max_size=8)
PREFIX = st.text(alphabet=uscc.ALPHABET, min_size=8, max_size=8)


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

    assert caught.value.checksum_only is True

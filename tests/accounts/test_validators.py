from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from sciplan.accounts.validators import validate_id_number, validate_mobile, validate_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812341234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("１３８１２３４１２３４", "13812341234"),
    ],
)
def test_mobile_normalises_valid_numbers(raw, expected):
    assert validate_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["12812341234", "1381234123", "138123412345", "abc", ""])
def test_mobile_refuses_invalid_numbers_in_chinese(raw):
    with pytest.raises(ValidationError) as caught:
        validate_mobile(raw)

    assert caught.value.messages == ["请填写11位手机号码（以1开头，第二位为3–9），可带+86。"]


def test_phone_accepts_the_bureau_landline():
    assert validate_phone("0730-8186096") == "0730-8186096"


def test_id_number_accepts_a_valid_number():
    # 11010519491231002X is the GB 11643 example number.
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("110105194912310021", "身份证号码校验位不符，请核对。"),
        ("110105194913310023", "身份证号码中的出生日期无效。"),
        ("11010519491231002", "身份证号码应为18位，前17位为数字，末位为数字或X。"),
    ],
)
def test_id_number_refuses_wrong_check_digit_and_date(raw, message):
    with pytest.raises(ValidationError) as caught:
        validate_id_number(raw)

    assert caught.value.messages == [message]

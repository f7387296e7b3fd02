"""Verification codes: derived from the content hash, typable, with a check character for typos."""

from __future__ import annotations

import hashlib

import pytest

from sciplan.documents import codes

HASH = hashlib.sha256(b"version").hexdigest()


def test_derive_gives_twelve_unambiguous_characters_deterministically():
    code = codes.derive(HASH)

    assert (len(code), set(code) <= set(codes.ALPHABET), codes.derive(HASH)) == (12, True, code)
    assert set(codes.ALPHABET) & set("01OI") == set()


def test_display_groups_by_four():
    assert codes.display("ABCDEFGHJKLM") == "ABCD-EFGH-JKLM"


def test_normalize_accepts_lowercase_spaces_dashes_and_full_width():
    code = codes.derive(HASH)
    typed = " " + codes.display(code).lower().replace("-", " - ") + " "
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)

    assert (codes.normalize(typed), codes.normalize(full_width)) == (code, code)


def test_normalize_every_single_wrong_character_is_a_typo():
    code = codes.derive(HASH)
    accepted = []
    for position in range(len(code)):
        for replacement in codes.ALPHABET:
            if replacement == code[position]:
                continue
            altered = code[:position] + replacement + code[position + 1 :]
            try:
                codes.normalize(altered)
                accepted.append(altered)
            except codes.CodeError:
                pass

    assert accepted == []


def test_normalize_swapped_neighbours_are_a_typo():
    code = codes.derive(HASH)
    accepted = []
    for position in range(len(code) - 1):
        if code[position] == code[position + 1]:
            continue
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
        try:
            codes.normalize(swapped)
            accepted.append(swapped)
        except codes.CodeError:
            pass

    assert len(accepted) <= 1  # Luhn mod N misses only the swap of two specific characters


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "请输入文档上的校验码。"),
        ("ABCD-EFGH", "校验码应为12位字母或数字（可含短横线），您输入了8位，请核对。"),
        ("ABCD-EFGH-JK0M", "校验码输入有误：校验码不含字符“0”（不使用数字0、1和字母O、I），请核对。"),
    ],
)
def test_normalize_explains_what_is_wrong(typed, message):
    with pytest.raises(codes.CodeError) as excinfo:
        codes.normalize(typed)

    assert str(excinfo.value) == message

"""Unified social credit code (统一社会信用代码), GB 32100-2015, with the embedded GB 11714 check.

Layout: 1 registration authority, 2 organisation type, 3–8 region code (GB/T 2260), 9–17 organisation
code (8 body characters + its own mod-11 check), 18 the check character over the first 17.

Two kinds of refusal. A code that cannot be a code at all (wrong length, a character outside the
alphabet, letters in the region part, one character repeated throughout) is refused outright. A code
whose check characters fail, or whose authority, type or province is not in GB 32100 / GB/T 2260, is
refused as *overridable*: some real codes issued early do not follow the rules, and the bureau may
accept such a code after checking the licence (``UsccOverride``).
"""

from __future__ import annotations

import unicodedata

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


# GB 32100-2015 with amendment No. 1 (2016): registration authority (position 1) → the organisation
# types (position 2) it assigns.
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": (
        "农业",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    "Y": ("其他", {"1": "不再具体划分机构类别"}),
}
# GB/T 2260 province-level prefixes, and 10 for codes issued by a national authority (100000).
_PROVINCE_RANGES = (range(11, 16), range(21, 24), range(31, 38), range(41, 47), range(50, 55), range(61, 66))
PROVINCES = frozenset({*(str(n) for r in _PROVINCE_RANGES for n in r), "71", "81", "82"})
NATIONAL_REGION = "100000"

# Invisible characters a copy from a web page or a PDF brings along; NFKC keeps them, so drop them.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u180e"))


class UsccError(ValueError):
    """An invalid code. ``message`` is the Chinese sentence shown beside the field."""

    def __init__(self, message: str, *, overridable: bool = False):
        super().__init__(message)
        self.message = message
        # True when the code could still be a real early code (a check character or a GB 32100 rule
        # fails): the bureau may accept this one code after checking the licence.
        self.overridable = overridable


def normalize(raw: str) -> str:
    """Drop invisible characters, full-width → half-width, drop all spaces, upper case."""
    text = unicodedata.normalize("NFKC", (raw or "").translate(INVISIBLE))
    return "".join(text.split()).upper()


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - 55


def org_check_character(body8: str) -> str:
    remainder = 11 - sum(_org_value(ch) * w for ch, w in zip(body8, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def validate(raw: str) -> str:
    """Return the normalised code or raise :class:`UsccError` saying exactly what is wrong."""
    code = normalize(raw)
    if not code:
        raise UsccError("请填写统一社会信用代码。")
    if len(code) != 18:
        raise UsccError(f"统一社会信用代码应为18位，您输入了{len(code)}位。")
    for position, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            raise UsccError(
                f"第{position}位“{ch}”不是统一社会信用代码允许的字符（数字及除I、O、S、V、Z外的大写字母）。"
            )
    region = code[2:8]
    if not region.isdigit():
        raise UsccError(f"第3至8位（登记管理机关行政区划码）应为6位数字，您输入的是“{region}”。")
    if len(set(code)) == 1:
        raise UsccError("统一社会信用代码不能由同一个字符组成，请按营业执照或登记证书填写。")
    if org_check_character(code[8:16]) != code[16]:
        raise UsccError("第9至17位（组织机构代码）的校验位不符，请核对。", overridable=True)
    if check_character(code[:17]) != code[17]:
        raise UsccError("第18位校验码不符，请核对是否输入有误。", overridable=True)
    _check_structure(code)
    return code


def _check_structure(code: str) -> None:
    """Positions 1–8 against GB 32100 and GB/T 2260 (after the checksums, which real codes pass)."""
    authority = AUTHORITIES.get(code[0])
    if authority is None:
        raise UsccError(f"第1位“{code[0]}”不是国家标准规定的登记管理部门代码，请核对。", overridable=True)
    name, types = authority
    if code[1] not in types:
        allowed = "、".join(f"{k}（{v}）" for k, v in types.items())
        raise UsccError(
            f"第2位“{code[1]}”不是{name}部门的机构类别代码（应为{allowed}），请核对。", overridable=True
        )
    region = code[2:8]
    if region[:2] not in PROVINCES and region != NATIONAL_REGION:
        raise UsccError(f"第3至8位“{region}”不是有效的行政区划代码，请核对。", overridable=True)


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except UsccError:
        return False
    return True


def build(prefix8: str, org_body8: str) -> str:
    """Compose a valid code from the first 8 characters and the 8-character organisation body."""
    first16 = normalize(prefix8) + normalize(org_body8)
    first17 = first16 + org_check_character(first16[8:16])
    return first17 + check_character(first17)

"""The issuing authority: the city, its science and technology bureau, and the public address.

Everything that names the city comes from here (``settings.SCIPLAN_AUTHORITY``, environment-driven, with
Yueyang's values as defaults), so another city is a matter of configuration (SPEC §13). Read on every
call, not cached at import, so a test or a reload sees the configured values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import lazy

CONSORTIUM_SUFFIX = "创新联合体"


@dataclass(frozen=True)
class Authority:
    city: str
    region_code: str
    bureau: str
    division: str
    address: str
    phone: str
    system_name: str
    guideline: str
    public_url: str

    @property
    def contact_line(self) -> str:
        return f"{self.bureau} {self.division} · 咨询电话 {self.phone} · 地址：{self.address}"

    @property
    def in_city(self) -> str:
        """The label of a member located inside the city: “岳阳市内”."""
        return f"{self.city}内"

    @property
    def naming_rule(self) -> str:
        return f"{self.city}＋方向/领域＋{CONSORTIUM_SUFFIX}"

    def consortium_name(self, direction: str) -> str:
        """城市 + 方向/领域 + 创新联合体 (the naming rule of the notice)."""
        return f"{self.city}{direction or '＿＿'}{CONSORTIUM_SUFFIX}"

    def direction_of(self, name: str) -> str:
        return name.removeprefix(self.city).removesuffix(CONSORTIUM_SUFFIX)

    @property
    def name_pattern(self) -> re.Pattern[str]:
        return re.compile(rf"^{re.escape(self.city)}\S{{2,30}}{CONSORTIUM_SUFFIX}$")

    def url(self, path: str) -> str:
        """An absolute link on the public address, never on the host a request happened to use."""
        return f"{self.public_url}{path}"


def current() -> Authority:
    values = dict(settings.SCIPLAN_AUTHORITY)
    city = values["city"]
    values["bureau"] = values.get("bureau") or f"{city}科学技术局"
    values["system_name"] = values.get("system_name") or f"{city}科技计划管理系统"
    values["guideline"] = values.get("guideline") or f"{city}{CONSORTIUM_SUFFIX}建设工作指引"
    values["public_url"] = settings.SITE_URL  # one public address for links, mail and paper
    return Authority(**{name: values[name] for name in Authority.__dataclass_fields__})


def _format(template: str) -> str:
    issuer = current()
    return template.format(city=issuer.city, bureau=issuer.bureau, system_name=issuer.system_name)


# For module-level texts (help texts, schema descriptions): formatted with the configured authority when
# shown, not when the module is imported.
lazy_text = lazy(_format, str)

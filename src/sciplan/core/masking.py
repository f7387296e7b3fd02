"""Masking personal data for roles without the right to see it (PIPL; STANDARDS E25)."""

from __future__ import annotations

import re


def mask_phone(value: str | None) -> str:
    """13812341234 → 138****1234; +86 and landlines keep their last four digits only."""
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 11 and digits.endswith(digits[-11:]) and digits[-11] == "1":
        core = digits[-11:]
        return f"{core[:3]}****{core[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "****"


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "*" * max(len(value) - 7, 0) + value[-4:]


def mask_email(value: str | None) -> str:
    if not value or "@" not in value:
        return value or ""
    name, domain = value.split("@", 1)
    return (name[:1] + "***@" + domain) if name else "***@" + domain


def mask_uscc(value: str | None) -> str:
    """91430600MA4L1001XY → 9143**********01XY: the kind of organisation and the last four stay."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


# --- Who sees what ------------------------------------------------------------------------------

# Roles that see unit credit codes (统一社会信用代码) in full, on every page and for every unit of an
# application they can see: those who act on them — the lead unit's own users, the recommender and
# finance department of its region (they check credit records by the code) and the bureau. Everyone
# else who sees an application (an assigned expert, an auditor) sees every code masked, lead unit and
# members alike. Who can see an application at all is decided by its scope, not here.
USCC_ROLES = frozenset({"applicant", "recommender", "finance", "bureau"})


def uscc_for(user, value: str | None) -> str:
    """A unit credit code as ``user`` may see it (see ``USCC_ROLES``)."""
    if getattr(user, "is_authenticated", False) and getattr(user, "role", None) in USCC_ROLES:
        return value or ""
    return mask_uscc(value)

# Roles that may reveal a masked value (one audited click each); nobody sees it unmasked by default.
UNMASK_ROLES = frozenset({"bureau"})


def can_unmask(user) -> bool:
    return getattr(user, "is_authenticated", False) and getattr(user, "role", None) in UNMASK_ROLES


def phone_for(user, value: str | None, *, own: bool = False) -> str:
    """The phone number as ``user`` may see it in a list, a detail, an export or an API answer: in full
    for their own unit's data (``own``) and for the bureau (whose unmasked views are audited by
    ``core.middleware.PersonalDataMaskingMiddleware``), masked for everyone else."""
    return (value or "") if own or can_unmask(user) else mask_phone(value)


def id_number_for(user, value: str | None, *, own: bool = False) -> str:
    return (value or "") if own or can_unmask(user) else mask_id_number(value)


# Fields that hold personal data, by model label, with the dotted path of a ``visible(user, qs)``
# function that scopes the model to the user (an object out of scope is 404), and the lookup from the
# model to what that function filters. Apps add theirs with ``register_personal_fields``.
_PERSONAL_FIELDS: dict[str, tuple[frozenset[str], str, str]] = {
    "applications.application": (
        frozenset({"contact_mobile", "liaison_mobile"}),
        "sciplan.applications.permissions.visible",
        "",
    ),
    "applications.member": (
        frozenset({"contact_mobile"}),
        "sciplan.applications.permissions.visible",
        "application",
    ),
}


def register_personal_fields(label: str, fields: set[str], visible: str, via: str = "") -> None:
    _PERSONAL_FIELDS[label] = (frozenset(fields), visible, via)


def reveal(user, label: str, pk, field: str):
    """The unmasked value of ``label``'s ``field`` on object ``pk`` and the object itself, for a user with
    the right who can see the object; :class:`~sciplan.core.errors.NotFound` otherwise."""
    from django.apps import apps
    from django.utils.module_loading import import_string

    from sciplan.core.errors import NotFound

    entry = _PERSONAL_FIELDS.get(label)
    if entry is None or field not in entry[0] or not can_unmask(user):
        raise NotFound()
    _fields, visible_path, via = entry
    model = apps.get_model(label)
    visible = import_string(visible_path)
    qs = model.objects.all()
    if via:
        qs = qs.filter(**{f"{via}__in": visible(user).values("pk")})
    else:
        qs = visible(user, qs)
    try:
        obj = qs.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    return getattr(obj, field), obj

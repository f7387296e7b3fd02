"""Inviting experts of the pool (SPEC §8): their login account and a one-time set-password link.

An invitation creates an account of role expert tied to the pool record (``Expert.user``) with an
unusable password, and e-mails the same one-time link the system administrator's accounts use
(:func:`sciplan.accounts.user_admin.send_set_password_link`). Inviting again an expert who already has
an account sends a fresh link and changes nothing else; a deactivated account is the system
administrator's to reactivate, so it is refused with a message that says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from sciplan.accounts.models import User
from sciplan.accounts.roles import Role
from sciplan.accounts.user_admin import RoleBinding, send_set_password_link
from sciplan.accounts.validators import validate_mobile
from sciplan.core import audit
from sciplan.core.errors import Conflict, ValidationFailed
from sciplan.review.models import Expert
from sciplan.review.services import ensure_bureau

INVITE_REASON = "市科技局邀请您担任创新联合体评审专家，已为您开设科管系统账号。"
RESEND_REASON = "市科技局重新向您发送了评审专家账号的密码设置链接。"


@dataclass(frozen=True)
class Invitation:
    expert: Expert
    user: User
    created: bool  # False: the account existed and the link was sent again


def _username_for(expert: Expert) -> str:
    """``expert<id>``, with a suffix in the rare case someone already holds that name."""
    base = f"expert{expert.pk}"
    name, n = base, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}_{n}"
    return name


def _mobile(phone: str) -> str:
    try:
        return validate_mobile(phone) if phone else ""
    except ValidationError:  # a landline in the pool is a contact, not a mobile for the account
        return ""


def _invite_locked(expert: Expert, *, by, ip: str | None) -> Invitation:
    if not expert.email:
        message = f"专家“{expert.name}”未填写电子邮箱，无法发送账号邀请。请先在专家信息中填写电子邮箱。"
        raise ValidationFailed(message, field_errors={"email": message})
    user = expert.user
    if user is not None:
        if not user.is_active:
            raise Conflict(
                f"专家“{expert.name}”的账号“{user.username}”已停用，请联系系统管理员启用后再邀请。",
                code="state",
            )
        if not user.email:
            user.email = expert.email
            user.save(update_fields=["email"])
        audit.record(
            "review.expert_invite", actor=by, obj=expert, ip=ip, detail={"user": user.pk, "resend": True}
        )
        send_set_password_link(user, reason=RESEND_REASON)
        return Invitation(expert, user, created=False)
    user = User(
        username=_username_for(expert),
        role=Role.EXPERT,
        name=expert.name,
        email=expert.email,
        mobile=_mobile(expert.phone),
    )
    user.set_unusable_password()
    user.save()
    expert.user = user
    expert.save(update_fields=["user", "updated_at"])
    audit.record(
        "review.expert_invite", actor=by, obj=expert, ip=ip, detail={"user": user.pk, "resend": False}
    )
    send_set_password_link(user, reason=INVITE_REASON)
    return Invitation(expert, user, created=True)


@transaction.atomic
def invite_expert(expert: Expert, *, by, ip: str | None = None) -> Invitation:
    """Create the expert's account and send the link, or send the link again. One audit record."""
    ensure_bureau(by)
    locked = Expert.objects.select_for_update(of=("self",)).select_related("user").get(pk=expert.pk)
    return _invite_locked(locked, by=by, ip=ip)


@dataclass
class BulkInvitation:
    invited: list[Invitation]
    skipped: list[str]  # Chinese reasons, one per expert not invited


def invite_many(experts: list[Expert], *, by, ip: str | None = None) -> BulkInvitation:
    """Invite each expert with an e-mail address; the others are listed with the reason."""
    ensure_bureau(by)
    result = BulkInvitation(invited=[], skipped=[])
    for expert in experts:
        if not expert.email:
            result.skipped.append(f"{expert.name}（未填写电子邮箱）")
            continue
        try:
            with transaction.atomic():
                result.invited.append(invite_expert(expert, by=by, ip=ip))
        except (ValidationFailed, Conflict) as exc:
            result.skipped.append(f"{expert.name}（{exc.message.rstrip('。')}）")
    return result


# --- the system administrator's side: an expert account is tied to its pool record ----------------


def _binding_choices(user: User | None) -> list[tuple[int, str]]:
    qs = Expert.objects.filter(user__isnull=True)
    if user is not None:
        qs = qs | Expert.objects.filter(user=user)
    return [(e.pk, f"{e.name} · {e.organisation}") for e in qs.order_by("name", "pk")]


def _bind(user: User, value) -> None:
    raw = str(value or "").strip()
    expert = Expert.objects.select_for_update().filter(pk=int(raw)).first() if raw.isdigit() else None
    if expert is None:
        raise ValidationError("请选择专家库中的专家。")
    if expert.user_id is not None and expert.user_id != user.pk:
        raise ValidationError(f"专家“{expert.name}”已有登录账号，可在专家库中重新发送邀请。")
    expert.user = user
    expert.save(update_fields=["user", "updated_at"])


EXPERT_BINDING = RoleBinding(label="专家库中的专家", choices=_binding_choices, bind=_bind)

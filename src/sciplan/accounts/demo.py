"""Demo personas for every role (demo mode only). Passwords are published in the README."""

from __future__ import annotations

from sciplan.accounts import uscc
from sciplan.accounts.models import Unit, UnitKind, UnitStatus, User
from sciplan.accounts.roles import Role
from sciplan.calls.models import Recommender
from sciplan.core import clock

DEMO_PASSWORD = "Demo-2024-pass"
# Bureau staff and administrators must sign in with a one-time code. Their demo authenticator key is
# published (demo mode only) so anyone can try the system: `manage.py demo_otp bureau` prints the code.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"

# (username, name, role, recommender code or None, unit key or None, unit admin)
PERSONAS = [
    ("applicant", "王晓明", Role.APPLICANT, None, "huachen", True),
    ("applicant_b", "刘芳", Role.APPLICANT, None, "zhilian", True),
    ("county", "陈建国（云溪区科技局）", Role.RECOMMENDER, "430603", None, False),
    ("finance", "赵丽（云溪区财政局）", Role.FINANCE, "430603", None, False),
    ("park", "孙伟（岳阳经开区）", Role.RECOMMENDER, "P01", None, False),
    ("county_b", "周敏（华容县科技局）", Role.RECOMMENDER, "430623", None, False),
    ("finance_b", "吴刚（华容县财政局）", Role.FINANCE, "430623", None, False),
    ("bureau", "李娜（市科技局基础研究科）", Role.BUREAU, None, None, False),
    ("admin", "系统管理员", Role.ADMIN, None, None, False),
]

# key → (name, org body for the code, recommender code, kind)
UNITS = {
    "huachen": ("岳阳华辰新材料股份有限公司", "MA4L0H01", "430603", UnitKind.ENTERPRISE),
    "zhilian": ("岳阳智联装备制造有限公司", "MA4L0L02", "P01", UnitKind.ENTERPRISE),
    "xinghu": ("湖南星湖生物医药有限公司", "MA4L0X03", "430603", UnitKind.ENTERPRISE),
    "jiangbei": ("华容江北绿色食品有限公司", "MA4L0J04", "430623", UnitKind.ENTERPRISE),
    "gangcheng": ("岳阳港城智慧物流有限公司", "MA4L0G05", "P01", UnitKind.ENTERPRISE),
}


def unit_code(body: str, prefix: str = "91430600") -> str:
    return uscc.build(prefix, body)


def ensure_unit(key: str) -> Unit:
    name, body, rec_code, kind = UNITS[key]
    unit, _ = Unit.objects.update_or_create(
        uscc=unit_code(body),
        defaults={
            "name": name,
            "kind": kind,
            "recommender": Recommender.objects.get(code=rec_code),
            "status": UnitStatus.APPROVED,
            "legal_representative": "张" + name[2:4],
            "address": "湖南省岳阳市" + Recommender.objects.get(code=rec_code).name,
            "reviewed_at": clock.now(),
        },
    )
    return unit


def ensure_user(
    username: str,
    name: str,
    role: str,
    *,
    recommender=None,
    unit=None,
    unit_admin=False,
    mobile: str = "13800000000",
) -> User:
    user, _ = User.objects.update_or_create(
        username=username,
        defaults={
            "name": name,
            "role": role,
            "recommender": recommender,
            "unit": unit,
            "is_unit_admin": unit_admin,
            "mobile": mobile,
            "email": f"{username}@demo.sciplan.local",
            "password_changed_at": clock.now(),
            "is_staff": role == Role.ADMIN,
        },
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def load(context: dict) -> None:
    """The personas, with the published password and authenticator key: demo mode only (STANDARDS A5)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    if not settings.DEMO_MODE:
        raise ImproperlyConfigured("演示账号只能在演示模式（SCIPLAN_DEMO=1）下创建。")
    units = {key: ensure_unit(key) for key in UNITS}
    users = {}
    for index, (username, name, role, rec_code, unit_key, admin) in enumerate(PERSONAS):
        users[username] = ensure_user(
            username,
            name,
            role,
            recommender=Recommender.objects.get(code=rec_code) if rec_code else None,
            unit=units[unit_key] if unit_key else None,
            unit_admin=admin,
            mobile=f"1380730{index:04d}",
        )
    for key in ("xinghu", "jiangbei", "gangcheng"):
        users[f"applicant_{key}"] = ensure_user(
            f"applicant_{key}",
            f"{units[key].name}填报人",
            Role.APPLICANT,
            unit=units[key],
            unit_admin=True,
            mobile=f"1390730{len(users):04d}",
        )
    # A unit that registered itself and waits for its recommender's approval.
    pending, _ = Unit.objects.update_or_create(
        uscc=unit_code("MA4L0P06"),
        defaults={
            "name": "岳阳云溪新能源科技有限公司",
            "recommender": Recommender.objects.get(code="430603"),
            "status": UnitStatus.PENDING,
            "kind": UnitKind.ENTERPRISE,
            "contact_name": "黄磊",
        },
    )
    users["applicant_pending"] = ensure_user(
        "applicant_pending", "黄磊", Role.APPLICANT, unit=pending, unit_admin=True, mobile="13907300099"
    )
    for username in ("bureau", "admin"):
        ensure_demo_totp(users[username])
    context["units"] = units
    context["users"] = users


def ensure_demo_totp(user: User):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.update_or_create(
        user=user, name="演示验证器", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
    )
    return device


def current_demo_code(user: User) -> str:
    """The code the demo authenticator shows now."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, name="演示验证器")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"

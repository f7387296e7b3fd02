"""Roles are stable codes; the Chinese text is only a label (SPEC §2)."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    APPLICANT = "applicant", "申报单位用户"
    RECOMMENDER = "recommender", "推荐单位"
    FINANCE = "finance", "财政部门"
    BUREAU = "bureau", "市科技局"
    EXPERT = "expert", "评审专家"
    ADMIN = "admin", "系统管理员"
    AUDITOR = "auditor", "审计管理员"


# Roles that need the longer password and two-factor sign-in (STANDARDS A1, A4).
PRIVILEGED_ROLES = frozenset({Role.BUREAU, Role.EXPERT, Role.ADMIN, Role.AUDITOR})
TWO_FACTOR_REQUIRED_ROLES = frozenset({Role.BUREAU, Role.ADMIN, Role.AUDITOR})
# Who may read and export the audit log (SPEC §12; separation of duties, STANDARDS B11): bureau staff and
# the audit viewer — not the system administrator, who manages accounts and must not review themselves.
AUDIT_VIEWER_ROLES = frozenset({Role.BUREAU, Role.AUDITOR})
# Who may reveal a masked phone or ID number (PIPL; STANDARDS E25). Every reveal is audited.
UNMASK_ROLES = frozenset({Role.BUREAU})

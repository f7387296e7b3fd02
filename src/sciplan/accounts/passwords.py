"""Password rules (STANDARDS A1): length by role, at least three character classes."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from sciplan.accounts.roles import PRIVILEGED_ROLES


class RoleMinimumLengthValidator:
    def validate(self, password: str, user=None) -> None:
        minimum = 12 if getattr(user, "role", None) in PRIVILEGED_ROLES else 8
        if len(password) < minimum:
            raise ValidationError(f"密码至少{minimum}位。", code="password_too_short")

    def get_help_text(self) -> str:
        return "密码至少8位（市科技局、专家、管理员账号至少12位）。"


class CharacterClassValidator:
    def validate(self, password: str, user=None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少三类。", code="password_classes"
            )

    def get_help_text(self) -> str:
        return "须包含大写字母、小写字母、数字、符号中的至少三类。"

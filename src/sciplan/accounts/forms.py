from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm


def _required(form: forms.Form) -> None:
    """A field left empty is named in the message ("请填写新密码。"), not Django's "这个字段是必填项。"."""
    if "new_password2" in form.fields:
        form.fields["new_password2"].label = "确认新密码"
    for field in form.fields.values():
        field.error_messages["required"] = f"请填写{field.label}。"


class LoginForm(AuthenticationForm):
    """The same message for an unknown user and a wrong password (STANDARDS A2)."""

    error_messages = {
        "invalid_login": "用户名或密码不正确。连续失败5次将暂时锁定。",
        "inactive": "用户名或密码不正确。连续失败5次将暂时锁定。",
    }

    username = forms.CharField(
        label="用户名",
        max_length=150,
        error_messages={"max_length": "用户名不能超过150个字符。"},
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required(self)


class SciplanSetPasswordForm(SetPasswordForm):
    """Setting a password by the one-time link, in SciPlan's words."""

    error_messages = {"password_mismatch": "两次输入的新密码不一致，请重新输入。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required(self)


class SciplanPasswordChangeForm(PasswordChangeForm):
    """Changing one's own password, in SciPlan's words."""

    error_messages = {
        "password_mismatch": "两次输入的新密码不一致，请重新输入。",
        "password_incorrect": "原密码不正确，请重新输入。",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _required(self)

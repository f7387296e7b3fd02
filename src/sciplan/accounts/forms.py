from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """The same message for an unknown user and a wrong password (STANDARDS A2)."""

    error_messages = {
        "invalid_login": "用户名或密码不正确。连续失败5次将暂时锁定。",
        "inactive": "用户名或密码不正确。连续失败5次将暂时锁定。",
    }

    username = forms.CharField(
        label="用户名",
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

"""``{% documents_block application %}``: the documents of an application, for its overview page."""

from __future__ import annotations

from django import template

from sciplan.applications import permissions
from sciplan.documents import services

register = template.Library()


@register.inclusion_tag("documents/_block.html", takes_context=True)
def documents_block(context, application):
    user = context["request"].user
    return {
        "application": application,
        "versions": services.documents_of(user, application),
        "can_preview": getattr(user, "role", None) == "applicant"
        and permissions.relates_to(user, application),
    }

from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "sciplan.calls"
    label = "calls"
    verbose_name = "申报批次"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from sciplan.accounts.roles import Role
        from sciplan.calls.models import Call, Industry
        from sciplan.calls.queries import forget_call_cards, forget_public_call, forget_public_calls
        from sciplan.core import navigation

        # Module-level receivers (held strongly, unlike nested functions): what the public pages cache
        # is dropped as soon as what it shows changes.
        for signal in (post_save, post_delete):
            name = "save" if signal is post_save else "delete"
            signal.connect(forget_call_cards, sender=Call, dispatch_uid=f"calls.cards_on_{name}")
            signal.connect(forget_public_call, sender=Call, dispatch_uid=f"calls.public_on_{name}")
            signal.connect(forget_public_calls, sender=Industry, dispatch_uid=f"calls.industry_on_{name}")
        m2m_changed.connect(
            forget_public_call, sender=Call.industries.through, dispatch_uid="calls.public_on_industries"
        )

        navigation.register("数据字典", "calls:dictionaries", roles={Role.ADMIN}, order=20)
        navigation.register("批次设置", "calls:manage_list", roles={Role.BUREAU}, order=15)

from django.apps import AppConfig


class RecognitionConfig(AppConfig):
    name = "sciplan.recognition"
    label = "recognition"
    verbose_name = "认定与公示"

    def ready(self) -> None:
        from sciplan.accounts.roles import Role
        from sciplan.applications import actions, workflow
        from sciplan.applications.workflow import Action
        from sciplan.core import masking, navigation
        from sciplan.recognition.assessment import revoke_action
        from sciplan.recognition.services import public_notice_ended

        workflow.register_guard("public_notice_ended", public_notice_ended)
        actions.register_action(Action.REVOKE, revoke_action)
        # An objector's mobile is shown masked, even to the bureau; revealing it is one audited click.
        masking.register_personal_fields(
            "recognition.objection", {"objector_mobile"}, "sciplan.recognition.queries.objections_visible"
        )
        navigation.register("认定与公示", "recognition:bureau", roles={Role.BUREAU}, order=60)
        navigation.register("年度考核", "recognition:assessments", roles={Role.BUREAU, Role.EXPERT}, order=62)
        navigation.register("工作日历", "recognition:calendar", roles={Role.BUREAU, Role.ADMIN}, order=90)
        navigation.register("认定与考核", "recognition:mine", roles={Role.APPLICANT}, order=60)
        navigation.register("公示公告", "recognition:notices", roles=set(Role.values), order=95)

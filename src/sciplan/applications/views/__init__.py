"""Applicant pages: the list, the overview, the sections, platforms, members, attachments, the eligibility
check, submitting, withdrawing, receipts and frozen versions, and the public member confirmation page.

Views parse input, call one service and render. Objects outside the user's scope are 404 (the query
helpers raise ``NotFound``); a refused action shows the service's Chinese message beside the field or at
the top of the page.
"""

from sciplan.applications.views.files import attachment_delete, attachments, download, upload
from sciplan.applications.views.members import confirm, member_delete, member_edit, member_link, members
from sciplan.applications.views.overview import application_list, create, detail, eligibility_page
from sciplan.applications.views.platforms import platform_delete, platform_edit, platforms
from sciplan.applications.views.sections import section
from sciplan.applications.views.submission import receipt, submit, version_view, withdraw

__all__ = [
    "application_list",
    "attachment_delete",
    "attachments",
    "confirm",
    "create",
    "detail",
    "download",
    "eligibility_page",
    "member_delete",
    "member_edit",
    "member_link",
    "members",
    "platform_delete",
    "platform_edit",
    "platforms",
    "receipt",
    "section",
    "submit",
    "upload",
    "version_view",
    "withdraw",
]

"""With DEBUG off, a submission still queues the version's documents (receipt, application, plan).

The documents app registers its after-submit hook (``applications.services.register_after_submit``)
from ``DocumentsConfig.ready``; wiring of that kind has broken before only with DEBUG off, so the check
runs in a fresh interpreter with production settings (``production.run_probe``): the registry as the
app loaded it, then one real submission, whose queued jobs are read inside its transaction (rolled
back, so no document is generated in the probe).
"""

from __future__ import annotations

import pytest

from sciplan.documents.models import DocumentKind
from tests.security.production import run_probe

PROBE = """
import gc, json, django
django.setup()
gc.collect()
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from sciplan.applications import services

out = {"debug": settings.DEBUG, "hooks": [f"{h.__module__}.{h.__qualname__}" for h in services._AFTER_SUBMIT]}
call_command("migrate", verbosity=0)

from sciplan.accounts.demo import load
from sciplan.applications.demo import build_complete_application
from sciplan.calls.demo import create_practice_call, ensure_dictionaries
from sciplan.core.models import Job

ensure_dictionaries()
call = create_practice_call()
context = {}
with override_settings(DEMO_MODE=True):  # the personas' loader refuses outside demo mode
    load(context)
applicant = context["users"]["applicant"]
application = build_complete_application(call, applicant)
with transaction.atomic():
    version = services.submit_application(application, by=applicant)
    out["jobs"] = sorted(
        (job.name, job.args["kind"]) for job in Job.objects.filter(args__version=version.pk)
    )
    transaction.set_rollback(True)
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def submission(tmp_path_factory):
    return run_probe(PROBE, tmp_path_factory.mktemp("submission"))


def test_the_documents_hook_is_registered_when_the_apps_load_with_debug_off(submission):
    assert submission["debug"] is False
    assert submission["hooks"] == ["sciplan.documents.services.queue_documents"]


def test_a_submission_with_debug_off_queues_every_document_of_its_version(submission):
    assert submission["jobs"] == [["documents.generate", kind] for kind in sorted(DocumentKind.values)]

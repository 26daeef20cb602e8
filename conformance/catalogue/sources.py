"""Where a requirement comes from: every ``source`` names a public document a vendor can open, in one
of the forms below, and its ``source_url`` opens it. ``form_of`` says which form a source is in (or
``None``: a source nobody outside the project could follow).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TIMEBACK_PAGES = "https://docs.timeback.com/beta/api-reference/beyond-ai/oneroster/"
_TIMEBACK_PACKAGE = (
    "https://github.com/caseywschmid/timeback-package/blob/08bb339f75774a12a07e377d683988eb461a0ea1/docs/"
)
ONEROSTER_OPENAPI_URL = _TIMEBACK_PACKAGE + "oneroster-api.yaml"
POWERPATH_OPENAPI_URL = _TIMEBACK_PACKAGE + "powerpath-api.json"
ONEEDTECH_OPENAPI_URL = (
    "https://purl.imsglobal.org/spec/or/v1p2/schema/openapi/onerosterv1p2gradebookservice_openapi3_v1p0.json"
)
ONEEDTECH_SPEC = "https://www.imsglobal.org/spec/oneroster/v1p2"
# The most widely used gradebook consumer's published expectations: Google Classroom's SIS conformance
# notebook (Apache-2.0), pinned to the commit read, and the guide page that introduces it.
GOOGLE_NOTEBOOK_URL = (
    "https://github.com/googleworkspace/oneroster-integration-conformance-tests/blob/"
    "3550c2174bb5e59cd56586811684c5cedf1e43e3/oneroster_1_2_test_suite.ipynb"
)
GOOGLE_GUIDE_URL = "https://developers.google.com/classroom/sis-integrations/validate-your-SIS"
DOCS_URL = re.compile(r"^docs/[a-z0-9-]+\.md#[a-z0-9-]+$")

DASH = " — "  # between a document's name and the part of it that is cited


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    source: re.Pattern[str]  # what the source text looks like
    url: re.Pattern[str]  # what its source_url looks like


def _exact(url: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(url) + "$")


FORMS: tuple[Form, ...] = (
    Form(
        "timeback-page",
        re.compile(r"^TimeBack API reference — [A-Z][^,]+, (GET|PUT|POST|PATCH|DELETE) /\S+$"),
        re.compile("^" + re.escape(TIMEBACK_PAGES) + r"[a-z-]+/[a-z-]+$"),
    ),
    Form("timeback-openapi", re.compile(r"^TimeBack OneRoster OpenAPI — \S.*$"), _exact(ONEROSTER_OPENAPI_URL)),
    Form("powerpath-openapi", re.compile(r"^TimeBack PowerPath OpenAPI — \S.*$"), _exact(POWERPATH_OPENAPI_URL)),
    Form(
        "1edtech-openapi",
        re.compile(r"^1EdTech OneRoster 1\.2 Gradebook OpenAPI — \S.*$"),
        _exact(ONEEDTECH_OPENAPI_URL),
    ),
    Form(
        "1edtech-spec",
        re.compile(r"^1EdTech OneRoster 1\.2 Gradebook (REST binding|information model) — §\S.*$"),
        re.compile("^" + re.escape(ONEEDTECH_SPEC) + r"(/[A-Za-z0-9_./-]*)?(#[A-Za-z0-9_.-]+)?$"),
    ),
    Form(  # an IETF RFC by section: RFC 6749 for client credentials, the HTTP RFCs for HTTP itself
        "rfc",
        re.compile(r"^RFC \d+ §\d+(\.\d+)* \S.*$"),
        re.compile(r"^https://www\.rfc-editor\.org/rfc/rfc\d+#section-[\d.]+$"),
    ),
    Form(
        "google-notebook",
        re.compile(r"^Google Classroom OneRoster 1\.2 conformance notebook — \S.*$"),
        _exact(GOOGLE_NOTEBOOK_URL),
    ),
    Form(
        "google-guide",
        re.compile(r"^Google Classroom SIS guide, Validate your SIS — \S.*$"),
        _exact(GOOGLE_GUIDE_URL),
    ),
    Form("project-docs", re.compile(r"^Project docs — docs/[a-z0-9-]+\.md, \S.*$"), DOCS_URL),
)

# The TimeBack API reference pages of the five operations the project started from (the PowerPath
# import is cited through the PowerPath OpenAPI, which documents the same operation).
GRADEBOOK = "/ims/oneroster/gradebook/v1p2"
PAGE_ASSESSMENT_RESULT_PUT = (
    f"TimeBack API reference — Update or Create an Assessment Result, PUT {GRADEBOOK}/assessmentResults/{{sourcedId}}",
    TIMEBACK_PAGES + "assessment-results-management/update-or-create-an-assessment-result",
)
PAGE_LINEITEM_RESULTS_POST = (
    f"TimeBack API reference — Create a Result for a Line Item, POST {GRADEBOOK}/lineItems/{{sourcedId}}/results",
    TIMEBACK_PAGES + "line-items-management/create-a-result-for-a-line-item",
)
PAGE_RESULT_PUT = (
    f"TimeBack API reference — Update or Create a Result, PUT {GRADEBOOK}/results/{{sourcedId}}",
    TIMEBACK_PAGES + "results-management/update-or-create-a-result",
)
PAGE_LINEITEM_PUT = (
    f"TimeBack API reference — Update or Create a Line Item, PUT {GRADEBOOK}/lineItems/{{sourcedId}}",
    TIMEBACK_PAGES + "line-items-management/update-or-create-a-line-item",
)
PAGES = dict((PAGE_ASSESSMENT_RESULT_PUT, PAGE_LINEITEM_RESULTS_POST, PAGE_RESULT_PUT, PAGE_LINEITEM_PUT))

# The document each OpenAPI form's source names, by its leading words.
DOCUMENT_URLS = {
    "TimeBack OneRoster OpenAPI": ONEROSTER_OPENAPI_URL,
    "TimeBack PowerPath OpenAPI": POWERPATH_OPENAPI_URL,
    "1EdTech OneRoster 1.2 Gradebook OpenAPI": ONEEDTECH_OPENAPI_URL,
}


def form_of(source: str, url: str) -> Form | None:
    """The form a source and its URL are in together, or ``None``."""
    for form in FORMS:
        if form.source.match(source) and form.url.match(url):
            return form
    return None


def is_public_url(url: str) -> bool:
    """Whether ``url`` opens one of the public documents the catalogue cites (reports link only those:
    a summary.json edited to point elsewhere gets no link)."""
    return url.startswith("https://") and any(form.url.match(url) for form in FORMS)


def url_of(source: str) -> str | None:
    """The URL a source resolves to when the source alone says it (a seed page, an OpenAPI document);
    ``None`` for forms whose URL carries more than the text (RFC sections, the project's docs)."""
    if source in PAGES:
        return PAGES[source]
    document = source.split(DASH, 1)[0]
    return DOCUMENT_URLS.get(document)


def docs_anchor(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's) gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")

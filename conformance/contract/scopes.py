"""OAuth2 scopes of the official binding: which scopes a token may be granted, and which ones each
operation accepts (the ``security`` of every operation in the 1EdTech Gradebook OpenAPI document; a
test compares this table with the published document when a copy is at hand).

TimeBack documents no scopes: the suite only observes what its token endpoint does with one.
"""

from __future__ import annotations

from conformance.contract.operations import Operation

V1P2 = "https://purl.imsglobal.org/spec/or/v1p2/scope/"
GRADEBOOK_READ = V1P2 + "gradebook.readonly"
GRADEBOOK_CORE_READ = V1P2 + "gradebook-core.readonly"  # reading whole collections or one record only
GRADEBOOK_PUT = V1P2 + "gradebook.createput"
GRADEBOOK_POST = V1P2 + "gradebook.createpost"
GRADEBOOK_DELETE = V1P2 + "gradebook.delete"
ASSESSMENT_READ = V1P2 + "assessment.readonly"
ASSESSMENT_PUT = V1P2 + "assessment.createput"
ASSESSMENT_DELETE = V1P2 + "assessment.delete"
OFFICIAL: tuple[str, ...] = (
    GRADEBOOK_READ,
    GRADEBOOK_CORE_READ,
    GRADEBOOK_PUT,
    GRADEBOOK_POST,
    GRADEBOOK_DELETE,
    ASSESSMENT_READ,
    ASSESSMENT_PUT,
    ASSESSMENT_DELETE,
)
_ASSESSMENT = ("assessmentLineItem", "assessmentResult")  # the official binding's "assessment" family


PROFILES = ("1edtech",)  # the profiles whose documents attach scopes to operations


def accepted(op: Operation) -> frozenset[str]:
    """The scopes of which a token needs one to call ``op``."""
    if op.entity in _ASSESSMENT:
        return frozenset({{"GET": ASSESSMENT_READ, "PUT": ASSESSMENT_PUT, "DELETE": ASSESSMENT_DELETE}[op.method]})
    if op.method == "GET":
        # The scoped reads (a class's line items, …) are not "core": gradebook.readonly only.
        return frozenset({GRADEBOOK_READ} if op.scope else {GRADEBOOK_READ, GRADEBOOK_CORE_READ})
    return frozenset({{"PUT": GRADEBOOK_PUT, "POST": GRADEBOOK_POST, "DELETE": GRADEBOOK_DELETE}[op.method]})


def denied(op: Operation) -> frozenset[str]:
    """Every official scope that does not let a token call ``op``: a token granted all of these and
    nothing else must be refused there."""
    return frozenset(OFFICIAL) - accepted(op)

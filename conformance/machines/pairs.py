"""sourcedIdPairs allocation and 404 behaviour: what a bulk POST promises about the ids it stores.

POST /lineItems/{id}/results with and without a supplied sourcedId: the supplied one is echoed, the
allocated one resolves to what was posted, allocations never repeat, and the result is listed under
its line item's and class's routes. Never-created ids and unknown line items are 404s that store
nothing.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

from conformance import profiles
from conformance.checks.registry import validates
from conformance.contract.operations import operation_id
from conformance.machines.base import ConformanceMachine, allocated_resolves
from conformance.machines.payloads import records
from conformance.session.suite_session import item_path
from conformance.session.world import baseline

ENTITIES_404 = ("result", "lineItem", "assessmentResult", "assessmentLineItem", "category", "scoreScale")


@validates(
    "GB-RESULT-POST-FOR-LINEITEM", "GB-RESULT-POST-UNKNOWN-LINEITEM", "GB-RESULT-IN-SCOPED-LISTS",
    "GB-PAIRS-SUPPLIED-ECHO", "GB-PAIRS-ALLOCATED-UNIQUE", "GB-PAIRS-ALLOCATED-RESOLVES",
    "GB-LINEITEM-NOT-FOUND", "GB-RESULT-NOT-FOUND", "GB-ASSESSMENTLINEITEM-NOT-FOUND",
    "GB-ASSESSMENTRESULT-NOT-FOUND", "GB-CATEGORY-NOT-FOUND", "GB-SCORESCALE-NOT-FOUND",
)  # fmt: skip
class PairsMachine(ConformanceMachine):
    def __init__(self) -> None:
        super().__init__()
        self.allocated: dict[str, dict[str, Any]] = {}  # allocatedSourcedId → result posted

    @initialize(data=st.data())
    def with_and_without_supplied_ids(self, data: st.DataObject) -> None:
        """Every run starts with one post of each kind, then goes its own way."""
        self.post_result(True, data)
        self.post_result(False, data)

    @rule(supply=st.booleans(), data=st.data())
    def post_result(self, supply: bool, data: st.DataObject) -> None:
        world = self.session.world
        self.session.ensure_anchors()
        line_item = world.anchors["lineItem"]
        supplied = world.fresh_id("result")
        record = data.draw(records("result", world, supplied), label="result")
        speaking = profiles.get(self.session.target.profile).dialect
        supply = supply or speaking.bulk_supplies_ids  # the official binding's posted records carry their sourcedId
        if not supply:
            record.pop("sourcedId")
        post = self.send("POST", f"{item_path('lineItem', line_item)}/results", json_body={"results": [record]})
        self.recorder.expect(
            "GB-RESULT-POST-FOR-LINEITEM",
            post.status == 201,
            post,
            title="POST results was not answered 201",
            expected="201 with sourcedIdPairs",
            actual=f"status {post.status}",
        )
        body = post.try_json()
        raw = body.get("sourcedIdPairs") if isinstance(body, dict) else None
        found = speaking.pairs(body)
        shaped = speaking.pairs_shaped(body)
        self.recorder.expect(
            "GB-RESULT-POST-FOR-LINEITEM",
            shaped,
            post,
            title="No sourcedIdPairs for the posted result",
            expected=speaking.pairs_expected(),
            actual=repr(raw)[:120],
        )
        pairs = found[0]
        allocated = pairs.get("allocatedSourcedId")
        if supply:
            self.recorder.expect(
                "GB-PAIRS-SUPPLIED-ECHO",
                pairs.get("suppliedSourcedId") == supplied,
                post,
                title="suppliedSourcedId does not echo the request",
                expected=repr(supplied),
                actual=repr(pairs.get("suppliedSourcedId")),
            )
        self.recorder.expect(
            "GB-PAIRS-ALLOCATED-UNIQUE",
            isinstance(allocated, str) and allocated not in world.allocated,
            post,
            title="An allocated sourcedId was handed out twice",
            expected="a sourcedId never allocated before",
            actual=repr(allocated),
        )
        assert isinstance(allocated, str)
        world.allocated.add(allocated)
        self.written.append(("result", allocated))
        self.session.world.remember("result", allocated)
        record.pop("sourcedId", None)
        self.allocated[allocated] = record
        allocated_resolves(
            self.send,
            self.recorder,
            "result",
            allocated,
            record,
            "allocatedSourcedId does not resolve to the posted result",
        )

    @precondition(lambda self: profiles.get(self.session.target.profile).dialect.pair_per_record)
    @rule(count=st.integers(1, 5), data=st.data())
    def post_several_results(self, count: int, data: st.DataObject) -> None:
        """The official binding answers a bulk POST with one pair per posted record, and each allocated
        sourcedId resolves to its record and is listed, however many were posted (TimeBack's single pair
        object leaves several records an open point, GEN-BULK-SEVERAL)."""
        world = self.session.world
        self.session.ensure_anchors()
        supplied = [world.fresh_id("result") for _ in range(count)]
        posted = {
            sourced_id: data.draw(records("result", world, sourced_id), label="result") for sourced_id in supplied
        }
        path = f"{item_path('lineItem', world.anchors['lineItem'])}/results"
        post = self.send("POST", path, json_body={"results": list(posted.values())})
        pairs = profiles.get(self.session.target.profile).dialect.pairs(post.try_json())
        echoed = sorted(str(p.get("suppliedSourcedId")) for p in pairs)
        self.recorder.expect(
            "GB-PAIRS-SUPPLIED-ECHO",
            post.status == 201 and echoed == sorted(supplied),
            post,
            title=f"A bulk POST of {count} results did not answer one pair per result",
            expected=f"201 with pairs for {sorted(supplied)}",
            actual=f"{post.status} with pairs for {echoed}",
        )
        for pair in pairs:
            allocated, source = pair.get("allocatedSourcedId"), posted.get(str(pair.get("suppliedSourcedId")))
            if not isinstance(allocated, str) or not allocated or source is None:
                continue
            world.allocated.add(allocated)
            self.written.append(("result", allocated))
            world.remember("result", allocated)
            self.allocated[allocated] = {k: v for k, v in source.items() if k != "sourcedId"}
            allocated_resolves(
                self.send,
                self.recorder,
                "result",
                allocated,
                source,
                f"An allocatedSourcedId of a bulk POST of {count} does not resolve to its result",
            )
            listed, found = self.listed("result", allocated)
            self.recorder.expect(
                "GB-PAIRS-ALLOCATED-RESOLVES",
                found == [allocated],
                listed,
                title=f"A result of a bulk POST of {count} is not listed",
                expected=f"[{allocated!r}] for filter sourcedId='{allocated}'",
                actual=f"{found[:5]}",
            )

    @precondition(lambda self: bool(self.allocated))
    @invariant()
    def listed_in_scoped_routes(self) -> None:
        world = self.session.world
        newest = list(self.allocated)[-1]
        klass = world.klass.sourcedId
        line_item = world.anchors["lineItem"]
        for path in (
            f"/ims/oneroster/gradebook/v1p2/classes/{klass}/lineItems/{line_item}/results",
            f"/ims/oneroster/gradebook/v1p2/classes/{klass}/results",
        ):
            listed, found = self.listed("result", newest, path)
            self.recorder.expect(
                "GB-RESULT-IN-SCOPED-LISTS",
                newest in found,
                listed,
                title="A posted result is missing from its scoped list",
                expected=f"{newest!r} listed by {path}",
                actual=f"listed: {found[:5]}",
            )

    @rule(entity=st.sampled_from(ENTITIES_404), method=st.sampled_from(["GET", "DELETE"]))
    def never_created(self, entity: str, method: str) -> None:
        missing = self.session.world.fresh_id(entity) + "-never-created"
        exchange = self.send(method, item_path(entity, missing))
        self.recorder.expect(
            self.recorder.requirement_for(operation_id(method.lower(), entity), "not-found"),
            exchange.status == 404,
            exchange,
            title="A never-created record is not a 404",
            expected="404",
            actual=f"status {exchange.status}",
        )

    @rule(supply=st.booleans())
    def post_to_unknown_line_item(self, supply: bool) -> None:
        world = self.session.world
        self.session.ensure_anchors()
        missing = world.fresh_id("lineItem") + "-never-created"
        supplied = world.fresh_id("result")
        record = baseline("result", world, supplied) | {"lineItem": world.ref("lineItem", missing)}
        post = self.send("POST", f"{item_path('lineItem', missing)}/results", json_body={"results": [record]})
        body = post.try_json()
        message = body.get("imsx_description") if isinstance(body, dict) else None
        documented = self.session.operation("createResultForLineItem").not_found  # the official binding documents none
        self.recorder.expect(
            "GB-RESULT-POST-UNKNOWN-LINEITEM",
            post.status == 404 and (documented is None or message == documented),
            post,
            title="Results posted to an unknown line item",
            expected=f"404 {documented!r}" if documented else "404",
            actual=f"{post.status} {message!r}",
        )
        listed, found = self.listed("result", supplied)
        count = len(found)
        self.recorder.expect(
            "GB-RESULT-POST-UNKNOWN-LINEITEM",
            count == 0,
            listed,
            title="The refused results were stored",
            expected="nothing listed",
            actual=f"{count} listed",
        )

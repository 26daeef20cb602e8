"""The API's resources and the shape of one operation: routes' roots, the gradebook entities, and
``Operation``, a row of the operation table (``contract.operations``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Service = Literal["gradebook", "powerpath"]
GRADEBOOK = "/ims/oneroster/gradebook/v1p2"
POWERPATH = "/powerpath"

# Where an operation is documented, in the public forms the catalogue cites (catalogue.sources).
SOURCE_ONEROSTER = f"TimeBack OneRoster OpenAPI — the paths under {GRADEBOOK}"
SOURCE_POWERPATH = "TimeBack PowerPath OpenAPI — the paths under /powerpath"
SEED_ASSESSMENT_RESULT_PUT = (
    f"TimeBack API reference — Update or Create an Assessment Result, PUT {GRADEBOOK}/assessmentResults/{{sourcedId}}"
)
SEED_LINEITEM_RESULTS_POST = (
    f"TimeBack API reference — Create a Result for a Line Item, POST {GRADEBOOK}/lineItems/{{sourcedId}}/results"
)
SEED_RESULT_PUT = f"TimeBack API reference — Update or Create a Result, PUT {GRADEBOOK}/results/{{sourcedId}}"
SEED_LINEITEM_PUT = f"TimeBack API reference — Update or Create a Line Item, PUT {GRADEBOOK}/lineItems/{{sourcedId}}"
SEED_IMPORT_RESULTS = "TimeBack PowerPath OpenAPI — GET /powerpath/importExternalTestAssignmentResults"
SOURCE_1EDTECH = f"1EdTech OneRoster 1.2 Gradebook OpenAPI — the paths under {GRADEBOOK}"

COLLECTION_QUERY = ("limit", "offset", "sort", "orderBy", "filter", "fields", "search")
COLLECTION_QUERY_1EDTECH = ("limit", "offset", "sort", "orderBy", "filter", "fields")  # no free-text search

# The filter grammar: ``field op 'value'`` clauses joined by a connective. The official binding names
# the comparison operators and ``~``; TimeBack's OneRoster document adds ``@`` (in a comma-separated list).
FILTER_OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "~")
FILTER_OPERATORS_TIMEBACK = (*FILTER_OPERATORS, "@")
FILTER_CONNECTIVES = ("AND", "OR")


@dataclass(frozen=True, slots=True)
class Entity:
    """One of the six gradebook resources; they all follow the same pattern (docs/api.md, "Gradebook surface")."""

    singular: str
    plural: str
    title: str
    not_found: str | None  # the documented 404 message for GET/DELETE by id, when there is one
    patch: bool = False

    @property
    def collection_path(self) -> str:
        # TimeBack documents collections with a trailing slash; servers must answer both.
        return f"{GRADEBOOK}/{self.plural}/"

    def collection_route(self, slash: bool) -> str:
        """The collection's path as a dialect documents it: with or without the trailing slash."""
        return self.collection_path if slash else self.collection_path.rstrip("/")

    @property
    def item_path(self) -> str:
        return f"{GRADEBOOK}/{self.plural}/{{sourcedId}}"


ENTITIES: tuple[Entity, ...] = (
    Entity("lineItem", "lineItems", "Line item", "Line item not found."),
    Entity("result", "results", "Result", "Result not found."),
    Entity(
        "assessmentLineItem",
        "assessmentLineItems",
        "Assessment line item",
        "Assessment line item not found.",
        patch=True,
    ),
    Entity("assessmentResult", "assessmentResults", "Assessment result", "Assessment result not found.", patch=True),
    Entity("category", "categories", "Category", "Category not found."),
    Entity("scoreScale", "scoreScales", "Score scale", None),
)
ENTITY = {entity.singular: entity for entity in ENTITIES}


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation.

    ``request`` and ``response`` are schema kinds (see ``contract.schemas``); the reading is chosen
    by whoever uses the table: the suite sends the strict reading, a server must accept the lenient.
    """

    id: str
    method: str
    path: str
    service: Service
    resource: str
    summary: str
    success: tuple[int, ...]
    source: str
    request: str | None = None
    response: str | None = None
    query: tuple[str, ...] = ()
    required_query: tuple[str, ...] = ()
    not_found: str | None = None  # documented 404 message
    entity: str | None = None  # the entity whose records the operation reads or writes
    scope: tuple[str, ...] = ()  # path parameters that name existing parent records, in order
    tags: tuple[str, ...] = field(default=())

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(part[1:-1] for part in self.path.split("/") if part.startswith("{"))

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

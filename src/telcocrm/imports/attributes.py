"""The optional segmentation columns of a customer (brief §2), checked on its first row a whole column at a time.

Organisation category, industry and decision scope describe organisations; income band describes persons.
The flags are `true` or `false`, empty meaning false. Later rows of the customer must repeat the values
(validation.py compares all customer columns).
"""

from __future__ import annotations

from enum import StrEnum

import pyarrow as pa
import pyarrow.compute as pc

from telcocrm.imports.problems import ProblemLog
from telcocrm.imports.reader import Chunk
from telcocrm.imports.row_rules import flag, not_one_of
from telcocrm.models.enums import CustomerKind, DecisionScope, IncomeBand, OrganisationCategory

FLAGS = ("strategic", "home_business")
FLAG_TEXT = pa.array(["true", "false"], pa.string())
VOCABULARIES: tuple[tuple[str, type[StrEnum]], ...] = (
    ("organisation_category", OrganisationCategory),
    ("decision_scope", DecisionScope),
    ("income_band", IncomeBand),
)
ORGANISATION_ONLY = ("organisation_category", "industry", "decision_scope")
PERSON_ONLY = ("income_band",)
NOT_FOR_PERSONS = "仅适用于单位客户 / only for organisations, not for a person"
NOT_FOR_ORGANISATIONS = "仅适用于个人客户 / only for persons, not for an organisation"


def check_attributes(problems: ProblemLog, chunk: Chunk, first: pa.Array) -> None:
    """Flag, on the rows introducing a customer, values outside their vocabulary and columns of the other kind."""
    arrays = chunk.arrays
    for name, enum in VOCABULARIES:
        values = arrays[name]
        valid = pc.or_(pc.equal(values, ""), pc.is_in(values, value_set=_codes(enum)))
        flag(problems, chunk, pc.and_(first, pc.invert(valid)), name, not_one_of(enum))
    for name in FLAGS:
        values = arrays[name]
        valid = pc.or_(pc.equal(values, ""), pc.is_in(values, value_set=FLAG_TEXT))
        flag(problems, chunk, pc.and_(first, pc.invert(valid)), name, _not_a_flag)
    kinds = arrays["customer_kind"]
    persons = pc.and_(first, pc.equal(kinds, CustomerKind.PERSON.value))
    organisations = pc.and_(first, pc.equal(kinds, CustomerKind.ORGANISATION.value))
    for name in ORGANISATION_ONLY:
        flag(problems, chunk, pc.and_(persons, pc.not_equal(arrays[name], "")), name, NOT_FOR_PERSONS)
    for name in PERSON_ONLY:
        flag(problems, chunk, pc.and_(organisations, pc.not_equal(arrays[name], "")), name, NOT_FOR_ORGANISATIONS)


def flag_values(text: pa.Array) -> pa.Array:
    """`true` / `false` / empty as booleans (empty is false), for the database."""
    return pc.equal(text, "true")


def _codes(enum: type[StrEnum]) -> pa.Array:
    return pa.array([member.value for member in enum], pa.string())


def _not_a_flag(text: str) -> str:
    return f"应为 true 或 false / '{text}' is not true or false"

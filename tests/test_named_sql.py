"""Named SQL parameters: `:name` becomes asyncpg's `$n`, and nothing else is touched."""

from __future__ import annotations

import pytest

from services.handover.postgres import named


def test_names_become_numbers_in_order_of_first_use() -> None:
    query = named("q", "SELECT * FROM t WHERE a = :a AND (:b::int IS NULL OR b = :b) OR c = :a")
    assert query.text == "SELECT * FROM t WHERE a = $1 AND ($2::int IS NULL OR b = $2) OR c = $1"
    assert query.parameters == ("a", "b")
    assert query.arguments({"b": 2, "a": 1}) == [1, 2]


def test_casts_literals_identifiers_and_comments_are_left_alone() -> None:
    sql = """SELECT x::text, ':not', 'it''s :not', "col:not" -- it's :not
FROM t WHERE y = :yes"""
    query = named("q", sql)
    assert query.parameters == ("yes",)
    assert query.text == sql.replace(":yes", "$1")


@pytest.mark.parametrize("values", [{"a": 1}, {"a": 1, "b": 2, "c": 3}])
def test_a_missing_or_unknown_name_is_refused(values: dict[str, object]) -> None:
    with pytest.raises(TypeError, match=r"q\.sql takes \['a', 'b'\]"):
        named("q", "SELECT :a, :b").arguments(values)

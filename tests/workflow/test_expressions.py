"""Gateway conditions run in the sandbox: allowed constructs work, everything else is named and refused."""

from __future__ import annotations

import pytest

from edubase.workflow import expressions
from edubase.workflow.engine import SCRIPT_ENGINE


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('decision == "approve"', True),
        ("amount * 2 + 1 > 10 and not urgent", True),
        ('level in ["city", "province"]', False),
        ("1 < amount <= 6", True),
        ("-amount % 4", 3),
        ("urgent or amount // 2 == 2", 2 == 2),
        ("None is None" if False else "true != false", True),
    ],
)
def test_it_evaluates_allowed_constructs(expression: str, expected: object) -> None:
    data = {"decision": "approve", "amount": 5, "urgent": False, "level": "county"}
    assert expressions.evaluate(expression, data) == expected


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("__import__('os').system('id')", "函数调用"),
        ("decision.upper()", "函数调用"),
        ("data.__class__", "属性访问"),
        ("items[0]", "下标访问"),
        ("(lambda: 1)()", "函数调用"),
        ("[x for x in range(10)]", "列表推导式"),
        ("2 ** 999999", "乘方运算"),
        ("(x := 1)", "赋值表达式"),
        ("a is None", "Is"),
    ],
)
def test_it_refuses_other_constructs_by_name(expression: str, named: str) -> None:
    with pytest.raises(expressions.ExpressionError, match=named):
        expressions.parse(expression)


def test_a_syntax_error_is_reported_in_chinese() -> None:
    with pytest.raises(expressions.ExpressionError, match="语法错误"):
        expressions.parse("decision ==")


def test_an_unknown_field_is_named() -> None:
    with pytest.raises(expressions.ExpressionError, match="“missing”"):
        expressions.evaluate("missing == 1", {})


def test_spiffworkflows_script_engine_goes_through_the_sandbox() -> None:
    class FakeTask:
        data = {"decision": "approve"}

    assert SCRIPT_ENGINE.evaluate(FakeTask(), 'decision == "approve"') is True
    with pytest.raises(expressions.ExpressionError):
        SCRIPT_ENGINE.evaluate(FakeTask(), "__import__('os')")
    with pytest.raises(expressions.ExpressionError):
        SCRIPT_ENGINE.validate("open('/etc/passwd')")

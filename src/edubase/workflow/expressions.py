"""Gateway conditions evaluated in a sandbox, never by ``eval`` of user text.

A condition is parsed with ``ast`` and walked by a small interpreter that knows only:
literals, names taken from the task data, comparisons (including ``in``), ``and``/``or``/``not``,
arithmetic and unary minus. Anything else — calls, attributes, subscripts, lambdas,
comprehensions — is refused with a Chinese message naming the construct.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

from edubase.core.errors import ValidationFailed

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_CONSTANTS = {"True": True, "False": False, "None": None, "true": True, "false": False}

_CONSTRUCT_NAMES: dict[str, str] = {
    "Call": "函数调用",
    "Attribute": "属性访问",
    "Subscript": "下标访问",
    "Lambda": "lambda 表达式",
    "ListComp": "列表推导式",
    "SetComp": "集合推导式",
    "DictComp": "字典推导式",
    "GeneratorExp": "生成器表达式",
    "NamedExpr": "赋值表达式 :=",
    "IfExp": "条件表达式",
    "Starred": "星号展开",
    "JoinedStr": "格式化字符串",
    "Pow": "乘方运算",
    "Dict": "字典",
}

_MAX_LENGTH = 1000


class ExpressionError(ValidationFailed):
    """A gateway condition uses a construct the sandbox does not allow, or cannot be evaluated."""

    code = "workflow_expression"
    message = "流转条件表达式不合法"


def _refuse(node: ast.AST) -> ExpressionError:
    kind = type(node).__name__
    label = _CONSTRUCT_NAMES.get(kind, kind)
    return ExpressionError(f"流转条件中不允许使用{label}（{kind}）；只允许字面量、变量、比较、逻辑与算术运算和 in")


def parse(expression: str) -> ast.Expression:
    """Parse and check a condition; raise ``ExpressionError`` for syntax errors or forbidden constructs."""
    if len(expression) > _MAX_LENGTH:
        raise ExpressionError(f"流转条件过长（超过 {_MAX_LENGTH} 个字符）")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"流转条件有语法错误：{exc.msg}（第 {exc.offset} 个字符）") from exc
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise _refuse(node.op)
        if isinstance(node, ast.Compare) and any(type(op) not in _COMPARE for op in node.ops):
            raise _refuse(next(op for op in node.ops if type(op) not in _COMPARE))
        if not isinstance(
            node,
            ast.Expression
            | ast.Constant
            | ast.Name
            | ast.Load
            | ast.BoolOp
            | ast.And
            | ast.Or
            | ast.UnaryOp
            | ast.Not
            | ast.USub
            | ast.UAdd
            | ast.BinOp
            | ast.operator
            | ast.Compare
            | ast.cmpop
            | ast.List
            | ast.Tuple
            | ast.Set,
        ):
            raise _refuse(node)
    return tree


def _eval(node: ast.AST, data: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body, data)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in data:
            return data[node.id]
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ExpressionError(f"流转条件引用了表单中没有的字段“{node.id}”")
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            result: Any = True
            for value in node.values:
                result = _eval(value, data)
                if not result:
                    return result
            return result
        result = False
        for value in node.values:
            result = _eval(value, data)
            if result:
                return result
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, data)
        if isinstance(node.op, ast.Not):
            return not operand
        if isinstance(node.op, ast.USub):
            return -operand
        return +operand
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, data), _eval(node.right, data))
    if isinstance(node, ast.Compare):
        left = _eval(node.left, data)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _eval(comparator, data)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_eval(e, data) for e in node.elts]
    raise _refuse(node)


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """Evaluate a condition against the task data in the sandbox."""
    tree = parse(expression)
    try:
        return _eval(tree, data)
    except ExpressionError:
        raise
    except (TypeError, ZeroDivisionError, ValueError) as exc:
        raise ExpressionError(f"流转条件无法计算：{exc}") from exc

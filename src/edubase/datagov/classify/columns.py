"""Column classification (字段识别) from the column name, its comment and sampled values.

Evidence is combined, never taken from one source alone:

* the column name and comment give *context*: ASCII names are split into whole tokens
  (``ACADEMIC_YEAR_CODE`` → academic / year / code, so it is not a card), and tokens, their
  adjacent pairs and the whole name are looked up among English words and the pinyin
  abbreviations of JY/T 1001 data elements (SFZJH, XM, LXDH, JTZZ, CSRQ …); Chinese names
  and comments are searched for Chinese keywords;
* sampled values are *validated* (checksums, dates, regions, code tables), not just
  pattern-matched; the fraction that validates gives the confidence;
* a reviewer's correction remembered for this dataset (keyed by the normalised column name)
  overrides both.

A verdict under ``REVIEW_THRESHOLD`` is flagged for human review (人工复核).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from edubase.datagov.classify.entities import ENTITIES
from edubase.datagov.classify.values import VALUE_THRESHOLD, classify_value
from edubase.datagov.classify.vocab import words

#: below this confidence a verdict goes to human review (人工复核)
REVIEW_THRESHOLD = 0.8
#: how much of the non-empty sample must validate for a value-only verdict
MAJORITY = 0.8

STRONG, WEAK = 1.0, 0.5

#: whole ASCII tokens (or adjacent-token / whole-name concatenations), lower-case → (entity, strength)
ASCII_CONTEXT: dict[str, tuple[str, float]] = {}


def _add(entity: str, strength: float, words: str) -> None:
    for word in words.split():
        ASCII_CONTEXT[word] = (entity, strength)


_add("citizen_id", STRONG, "sfzjh sfzh sfzhm sfz gmsfhm sfzhao idcard idcardno idcardnumber citizenid nationalid")
_add("citizen_id", STRONG, "identitycard identitycardno identityno idnumber shenfenzheng")
_add("citizen_id", WEAK, "zjhm zjh certno certificateno documentno")
_add("residence_permit", STRONG, "jzzh jzzhm residencepermit gatjmjzz")
_add("passport", STRONG, "passport passportno passportnumber hzh hzhm huzhao")
_add("travel_permit", STRONG, "txz txzh txzhm gatxz twtxz hxz homereturnpermit travelpermit entrypermit")
_add("student_number", STRONG, "xjh qgxjh xjbh nationalstudentid studentnationalid xuejihao")
_add("student_number", WEAK, "xh studentno studentid studentnumber")
_add("person_name", STRONG, "xm name fullname realname studentname xsxm jzxm fqxm mqxm jhrxm lxrxm jsxm xingming")
_add("person_name", STRONG, "teachername parentname guardianname contactname fathername mothername personname")
_add("person_name", STRONG, "bzrxm xmpy lxr jhr xsmc")
_add("mobile", STRONG, "sjh sjhm lxdh yddh mobile mobileno mobilephone phone phoneno phonenumber cellphone shouji")
_add("mobile", STRONG, "jzlxdh jzdh jzsj jhrdh jhrlxdh lxsj tel telephone telno contactphone parentphone")
_add("mobile", WEAK, "dh lxfs contact")
_add("landline", STRONG, "gddh landline bgdh zzdh officephone homephone")
_add("email", STRONG, "email mail emailaddress dzxx dzyx dzyj youxiang")
_add("address", STRONG, "jtzz zz dz address addr homeaddress xzz txdz hkszd jtdz zhuzhi jzdz hjdz xjzdz")
_add("address", STRONG, "residence residenceaddress domicile hjszd streetaddress postaladdress")
_add("birth_date", STRONG, "csrq birthday birthdate dob birth csny dateofbirth chushengriqi birthdt")
_add("sex", STRONG, "xb xbm sex gender xingbie sexcode gendercode")
_add("ethnicity", STRONG, "mz mzm ethnic ethnicity minzu nationality ethnicgroup")
_add("political_status", STRONG, "zzmm zzmmm political politicalstatus politics")
_add("bank_card", STRONG, "yhkh yhzh bankcard bankcardno bankcardnumber cardno cardnumber bankaccount khzh khyhzh")
_add("bank_card", WEAK, "accountno acctno kh zh")
_add("plate", STRONG, "cph cphm plate plateno licenseplate carno vehicleno platenumber chepai")
_add("uscc", STRONG, "tyshxydm uscc creditcode socialcreditcode xydm shxydm")
_add("health", STRONG, "jkzk jkzkm health healthstatus medical disease jb jbs allergy gms cjlx disability sfcj")
_add("health", STRONG, "medicalhistory illness tjjg physicalexam cjlb cjdj tzjk")
_add("religion", STRONG, "zjxy zjxym religion religious faith")
_add("hardship_subsidy", STRONG, "knlx jtjjknlx jjkn knrd knsx knjb zzlx zzje hardship subsidy poverty pkh dbh")
_add("hardship_subsidy", STRONG, "sfjdlk jdlk zxj financialaid studentaid grant bursary sfdb sfpk jjknrd zzxm")
_add("discipline", STRONG, "cf cfqk cflx cfmc wjcf wjqk discipline disciplinary punishment sanction jlcf cfjl")
_add("discipline", WEAK, "wj")
_add("psych_assessment", STRONG, "xlcp xlpc xljk xlzk xlsc psych psychology psychological mentalhealth scl90")
_add("psych_assessment", STRONG, "phq9 gad7 sds sas xlyj xlwj psychassessment psychscore mentalscore")

#: pinyin abbreviations also recognised as the head (or tail) of a longer token
PINYIN_KEYS = tuple(
    words(
        "sfzjh sfzh gmsfhm jzzh hzhm txzh xjh qgxjh lxdh yddh sjhm jtzz hkszd txdz csrq csny xbm mzm zzmm zjxy jkzk "
        "knlx jjkn zzlx cfqk wjcf xlcp xlpc xljk xlzk xlsc xlyj yhkh yhzh khzh cphm tyshxydm dzxx gddh bgdh"
    )
)

#: tokens saying that a "name" column names a thing, not a person
_NON_PERSON = frozenset(
    words(
        "course school class org organization dept department unit company corp file project item table column "
        "field product city county province region area district street road village town building room event "
        "activity subject book bank plan category type kind status task role group team grade major college award "
        "prize title app system host server device asset document form template tag label display short full user "
        "login account nick"
    )
)
_GENERIC_NAME_WORDS = frozenset({"name", "fullname", "xm"})

#: Chinese keywords searched as substrings of the name and comment → (entity, strength)
CHINESE_CONTEXT: tuple[tuple[str, str, float], ...] = (
    ("公民身份号码", "citizen_id", STRONG),
    ("身份证", "citizen_id", STRONG),
    ("居住证", "residence_permit", STRONG),
    ("证件号", "citizen_id", WEAK),
    ("护照", "passport", STRONG),
    ("通行证", "travel_permit", STRONG),
    ("回乡证", "travel_permit", STRONG),
    ("学籍号", "student_number", STRONG),
    ("学籍编号", "student_number", STRONG),
    ("姓名", "person_name", STRONG),
    ("联系人", "person_name", WEAK),
    ("手机", "mobile", STRONG),
    ("移动电话", "mobile", STRONG),
    ("联系电话", "mobile", STRONG),
    ("联系方式", "mobile", WEAK),
    ("固定电话", "landline", STRONG),
    ("座机", "landline", STRONG),
    ("办公电话", "landline", STRONG),
    ("邮箱", "email", STRONG),
    ("电子信箱", "email", STRONG),
    ("电子邮件", "email", STRONG),
    ("住址", "address", STRONG),
    ("地址", "address", STRONG),
    ("户口所在地", "address", STRONG),
    ("居住地", "address", STRONG),
    ("出生日期", "birth_date", STRONG),
    ("出生年月", "birth_date", STRONG),
    ("生日", "birth_date", STRONG),
    ("性别", "sex", STRONG),
    ("民族", "ethnicity", STRONG),
    ("政治面貌", "political_status", STRONG),
    ("银行卡", "bank_card", STRONG),
    ("银行账号", "bank_card", STRONG),
    ("开户账号", "bank_card", STRONG),
    ("卡号", "bank_card", WEAK),
    ("车牌", "plate", STRONG),
    ("信用代码", "uscc", STRONG),
    ("健康", "health", STRONG),
    ("疾病", "health", STRONG),
    ("病史", "health", STRONG),
    ("过敏", "health", STRONG),
    ("残疾", "health", STRONG),
    ("体检", "health", STRONG),
    ("宗教", "religion", STRONG),
    ("困难", "hardship_subsidy", STRONG),
    ("资助", "hardship_subsidy", STRONG),
    ("助学金", "hardship_subsidy", STRONG),
    ("低保", "hardship_subsidy", STRONG),
    ("贫困", "hardship_subsidy", STRONG),
    ("建档立卡", "hardship_subsidy", STRONG),
    ("补助", "hardship_subsidy", STRONG),
    ("处分", "discipline", STRONG),
    ("违纪", "discipline", STRONG),
    ("惩戒", "discipline", STRONG),
    ("心理", "psych_assessment", STRONG),
    ("抑郁", "psych_assessment", STRONG),
    ("焦虑", "psych_assessment", STRONG),
)
#: a Chinese name with one of these describes a count, a type or a yes/no about the entity, so the
#: values are not the identifier itself (身份证件类型, 是否有手机, 联系电话数量)
_CHINESE_NOT_VALUE = ("类型", "类别", "种类", "是否", "有无", "数量", "人数", "次数", "个数", "代码表")
#: entities whose values carry their own proof (format/checksum/vocabulary)
VALUE_ENTITIES = frozenset(
    words(
        "citizen_id residence_permit passport travel_permit student_number mobile landline email bank_card plate "
        "uscc person_name address"
    )
)
#: categorical entities commonly stored as code-table codes (XBM = 1, MZM = 01)
CODED_ENTITIES = frozenset(words("sex ethnicity political_status religion health hardship_subsidy discipline"))
_CODE = re.compile(r"[0-9A-Za-z]{1,4}")
_TOKENS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SEPARATORS = re.compile(r"[\s_\-.:/()（）\[\]]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_DATE_LIKE = re.compile(r"(?:19|20)\d\d[-/.年]?[01]?\d[-/.月]?[0-3]?\d日?")
_CHECKED = {
    "citizen_id": " GB 11643 校验",
    "residence_permit": " GB 11643 校验",
    "student_number": "学籍号规则校验",
    "uscc": " GB 32100 校验",
    "bank_card": " Luhn 校验",
    "mobile": "手机号段校验",
}


@dataclass
class ColumnVerdict:
    """What a column holds: entity (``None`` = nothing personal found), confidence and why."""

    entity: str | None
    confidence: float
    needs_review: bool
    evidence: list[str] = field(default_factory=list)
    hits: int = 0
    sampled: int = 0


def normalise_column_name(name: str) -> str:
    """Key under which reviewer corrections are remembered: lower-case, separators removed
    (``Student_Name``, ``student name`` and ``STUDENTNAME`` are one key)."""
    return _SEPARATORS.sub("", name.strip()).lower()


def name_tokens(name: str) -> list[str]:
    """Whole lower-case tokens of an ASCII column name (snake_case, camelCase, digits)."""
    out: list[str] = []
    for part in _SEPARATORS.split(name.strip()):
        out.extend(t.lower() for t in _TOKENS.findall(part))
    return out


def context_of(name: str, comment: str = "") -> dict[str, tuple[float, str]]:
    """Entities suggested by the column name and comment: entity → (strength, the word that matched)."""
    found: dict[str, tuple[float, str]] = {}

    def offer(entity: str, strength: float, word: str) -> None:
        if strength > found.get(entity, (0.0, ""))[0]:
            found[entity] = (strength, word)

    tokens = name_tokens(name)
    candidates = list(tokens)
    candidates += [a + b for a, b in pairwise(tokens)]
    candidates += [a + b + c for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)]
    candidates.append("".join(tokens))
    things = _NON_PERSON.intersection(tokens)
    for token in tokens:
        # pinyin abbreviations are often glued to a qualifier: XLCPJG = XLCP + JG (结果)
        for key in PINYIN_KEYS:
            if token != key and (token.startswith(key) or (len(key) >= 3 and token.endswith(key))):
                entity, _ = ASCII_CONTEXT[key]
                offer(entity, WEAK, token.upper())
    for word in candidates:
        hit = ASCII_CONTEXT.get(word)
        if hit is not None:
            if things and hit[0] == "person_name" and word in _GENERIC_NAME_WORDS:
                continue  # course_name, school_name: the name of a thing, not of a person
            offer(hit[0], hit[1], word.upper())
    for text in (name, comment):
        if not text or not _HAN.search(text):
            continue
        negated = any(w in text for w in _CHINESE_NOT_VALUE)
        for word, entity, strength in CHINESE_CONTEXT:
            if word in text:
                if negated and entity in VALUE_ENTITIES:
                    continue
                offer(entity, strength, word)
    return found


def _label(entity: str | None) -> str:
    return ENTITIES[entity].label_zh if entity in ENTITIES else "非个人信息"


def _cell_text(value: object) -> str:
    """A sampled cell as text; a whole float from a spreadsheet or a DataFrame (13812345678.0) loses its ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def classify_column(
    *,
    name: str,
    comment: str = "",
    values: Sequence[object],
    corrections: Mapping[str, str | None] | None = None,
) -> ColumnVerdict:
    """Classify a column from sampled ``values`` (text, or numbers as a driver or spreadsheet
    returns them; ``None`` = empty). ``corrections`` maps ``normalise_column_name(name)`` → the
    entity a reviewer chose (``None`` = "not personal data") for this dataset; a correction wins."""
    cells = [_cell_text(x) for x in values if x is not None]
    cells = [c for c in cells if c]
    sampled = len(values)
    firm: Counter[str] = Counter()
    weak: Counter[str] = Counter()
    confidence_sum: Counter[str] = Counter()
    masked: Counter[str] = Counter()
    context = context_of(name, comment)
    hint = max(context, key=lambda e: context[e][0]) if context else None
    for cell in cells:
        hit = classify_value(cell, context=hint)
        if hit is None:
            continue
        entity, conf = hit
        if conf >= VALUE_THRESHOLD:
            firm[entity] += 1
            masked[entity] += "*" in cell
            confidence_sum[entity] += conf  # type: ignore[assignment]
        else:
            weak[entity] += 1
    verdict = _decide(name, context, firm, weak, confidence_sum, cells)
    verdict.sampled = sampled
    if verdict.entity is not None:
        verdict.hits = firm.get(verdict.entity, 0) + weak.get(verdict.entity, 0)
        if masked[verdict.entity]:
            verdict.evidence.append(f"其中 {masked[verdict.entity]} 个样本为已脱敏值，按脱敏后保留的部分识别")
    if corrections:
        key = normalise_column_name(name)
        if key in corrections:
            chosen = corrections[key]
            note = f"复核结论：{_label(chosen)}"
            if chosen != verdict.entity:
                note += f"（自动识别为{_label(verdict.entity)}，已按复核结论更正）"
            verdict.evidence.insert(0, note)
            verdict.entity = chosen
            verdict.confidence = 1.0
            verdict.hits = firm.get(chosen, 0) + weak.get(chosen, 0) if chosen else 0
    verdict.confidence = round(min(verdict.confidence, 1.0), 3)
    verdict.needs_review = verdict.confidence < REVIEW_THRESHOLD and (
        verdict.entity is not None or verdict.needs_review
    )
    return verdict


def _decide(
    name: str,
    context: dict[str, tuple[float, str]],
    firm: Counter[str],
    weak: Counter[str],
    confidence_sum: Counter[str],
    cells: list[str],
) -> ColumnVerdict:
    nonempty = len(cells)
    evidence = [f"字段名/注释「{word}」提示{_label(e)}" for e, (_, word) in context.items()]
    ctx_entity, (ctx_strength, _) = max(context.items(), key=lambda kv: kv[1][0]) if context else (None, (0.0, ""))
    if nonempty == 0:
        if ctx_entity is None:
            return ColumnVerdict(None, 0.0, False, ["无样本值，字段名无提示"])
        return ColumnVerdict(ctx_entity, 0.6 * ctx_strength, True, [*evidence, "无样本值，仅凭字段名判断"])

    best = max(firm, key=lambda e: (firm[e] + (0.5 if e in context else 0), confidence_sum[e])) if firm else None
    if best is not None:
        share = firm[best] / nonempty
        mean = confidence_sum[best] / firm[best]
        checked = _CHECKED.get(best, "格式/词表校验")
        evidence.append(f"样本 {firm[best]}/{nonempty} 通过{checked}（{_label(best)}）")
        boost = 0.2 * context[best][0] if best in context else 0.0
        if best == "person_name" and best not in context:
            boost -= 0.05  # Han words can look like names: a name column without a name is reviewed sooner
        if share >= MAJORITY:
            return ColumnVerdict(best, mean * min(1.0, share + 0.1) + boost, False, evidence)
        if share >= 0.3 and (best in context or not context):
            return ColumnVerdict(best, mean * share + boost, False, evidence)

    if ctx_entity is not None:
        coded = sum(1 for c in cells if _CODE.fullmatch(c)) / nonempty
        vocab = (firm.get(ctx_entity, 0) + weak.get(ctx_entity, 0)) / nonempty
        if ctx_entity == "birth_date":
            dates = sum(1 for c in cells if _DATE_LIKE.fullmatch(c)) / nonempty
            if dates >= MAJORITY:
                evidence.append(f"样本 {dates:.0%} 为有效日期")
                return ColumnVerdict("birth_date", 0.75 + 0.2 * ctx_strength, False, evidence)
        elif ctx_entity in VALUE_ENTITIES:
            if ctx_entity in ("person_name", "address") and vocab + firm.get(ctx_entity, 0) / nonempty >= 0.3:
                return ColumnVerdict(ctx_entity, 0.5 + 0.3 * ctx_strength, False, evidence)
            if ctx_entity == "bank_card" and weak.get("bank_card", 0) / nonempty >= 0.5:
                evidence.append("样本多为 62 开头但未通过 Luhn 校验，置信度降低")
                return ColumnVerdict("bank_card", 0.5, True, evidence)
            evidence.append("样本值未通过该类信息的格式/校验，不采信字段名提示")
            return ColumnVerdict(None, 0.3, ctx_strength >= STRONG, evidence)
        else:
            if ctx_entity in CODED_ENTITIES and coded >= MAJORITY:
                evidence.append("样本为代码值（代码表编码）")
            elif vocab:
                evidence.append(f"样本 {vocab:.0%} 属于{_label(ctx_entity)}词表")
            base = 0.55 + 0.3 * ctx_strength
            return ColumnVerdict(
                ctx_entity, base + 0.15 * max(vocab, coded if ctx_entity in CODED_ENTITIES else 0), False, evidence
            )

    if weak.get("bank_card", 0) / nonempty >= 0.5:
        evidence.append("样本多为 62 开头但未通过 Luhn 校验：不判定为银行卡号，建议复核")
        return ColumnVerdict(None, 0.4, True, evidence)
    if best is not None:
        evidence.append("通过校验的样本过少，不判定")
        return ColumnVerdict(None, 0.3, firm[best] / nonempty >= 0.1, evidence)
    return ColumnVerdict(None, 0.9, False, [*evidence, "未发现个人信息"])

"""Code-table labels that identify a categorical column by its values (值域词表).

Sources: GB/T 2261.1 (sex), GB 3304 (ethnic groups), GB/T 4762 (political status),
GB/T 2261.3 (health status), the student-aid categories of the 学生资助 system, the
disciplinary sanctions of 《普通高等学校学生管理规定》 art. 52 and 《中小学教育惩戒规则》,
and common labels of school psychological screening (心理筛查) reports.
"""

from __future__ import annotations


def words(text: str) -> list[str]:
    """The space-separated words of a data string (long word lists read better as one string)."""
    return text.split()


SEX = frozenset(words("男 女 男性 女性 未知的性别 未说明的性别"))
ETHNIC_GROUPS = frozenset(
    words(
        "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 "
        "黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 "
        "撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 "
        "京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族 穿青人 外国血统中国籍人士"
    )
)
POLITICAL_STATUS = frozenset(
    words(
        "中国共产党党员 中共党员 中国共产党预备党员 中共预备党员 中国共产主义青年团团员 共青团员 团员 "
        "中国国民党革命委员会会员 民革会员 中国民主同盟盟员 民盟盟员 中国民主建国会会员 民建会员 中国民主促进会会员 "
        "民进会员 中国农工民主党党员 农工党党员 中国致公党党员 致公党党员 九三学社社员 台湾民主自治同盟盟员 台盟盟员 "
        "无党派人士 无党派民主人士 群众 少先队员 中国少年先锋队队员"
    )
)
RELIGION = frozenset(
    words("佛教 道教 伊斯兰教 天主教 基督教 基督新教 东正教 藏传佛教 无宗教信仰 不信仰宗教 其他宗教 信仰宗教")
)
HEALTH = frozenset(
    words(
        "健康或良好 一般或较弱 有慢性病 有生理缺陷 残疾 有残疾 视力残疾 听力残疾 言语残疾 肢体残疾 智力残疾 精神残疾 "
        "多重残疾 心脏病 先天性心脏病 哮喘 癫痫 糖尿病 肺结核 乙肝 肝炎 过敏 过敏体质 贫血 高血压 近视 弱视 色盲 "
        "色弱 肥胖 营养不良 传染病 慢性病 孤独症 自闭症 多动症 注意缺陷多动障碍"
    )
)
#: ambiguous health labels: only evidence when the column name says health
HEALTH_WEAK = frozenset(words("健康 良好 一般 较差 较弱 正常 异常"))
HARDSHIP = frozenset(
    words(
        "建档立卡贫困户 建档立卡 建档立卡户 脱贫户 脱贫不稳定户 边缘易致贫户 突发严重困难户 监测户 低保 低保户 "
        "低保家庭 城市低保 农村低保 特困供养 特困 特困人员 孤儿 事实无人抚养儿童 残疾学生 残疾人家庭 烈士子女 "
        "优抚对象 家庭经济困难 一般困难 困难 比较困难 特别困难 特殊困难 非困难 不困难 国家助学金 一等助学金 "
        "二等助学金 三等助学金 一档 二档 三档 免学费 营养改善计划 生活补助 寄宿生生活费补助 助学贷款 生源地信用助学贷款"
    )
)
DISCIPLINE = frozenset(
    words(
        "警告 严重警告 记过 记大过 留校察看 开除学籍 勒令退学 通报批评 点名批评 责令检讨 教育惩戒 暂停课程 "
        "停课 无处分 已撤销 处分已解除 解除处分 撤销处分"
    )
)
PSYCH = frozenset(
    words(
        "轻度焦虑 中度焦虑 重度焦虑 轻度抑郁 中度抑郁 重度抑郁 焦虑 抑郁 抑郁倾向 焦虑倾向 自杀倾向 自伤 自残 "
        "有自伤风险 心理危机 一级预警 二级预警 三级预警 一级关注 二级关注 三级关注 重点关注 需关注 需要关注 持续关注 "
        "高危 中危 低危 高风险 中风险 低风险 无风险 筛查阳性 筛查阴性 未见异常 心理健康 心理亚健康"
    )
)

#: entity → labels that are strong evidence (a cell equal to one of them)
STRONG: dict[str, frozenset[str]] = {
    "sex": SEX,
    "ethnicity": ETHNIC_GROUPS,
    "political_status": POLITICAL_STATUS,
    "religion": RELIGION,
    "health": HEALTH,
    "hardship_subsidy": HARDSHIP,
    "discipline": DISCIPLINE,
    "psych_assessment": PSYCH,
}
#: label → (entity, confidence) for one cell; the strongest entity wins where labels overlap
LABELS: dict[str, tuple[str, float]] = {}
for _entity, _labels in STRONG.items():
    for _label in _labels:
        LABELS.setdefault(_label, (_entity, 0.9 if len(_label) > 2 or _entity != "hardship_subsidy" else 0.7))
for _label in HEALTH_WEAK:
    LABELS.setdefault(_label, ("health", 0.3))
for _label in ("残疾",):
    LABELS[_label] = ("health", 0.8)

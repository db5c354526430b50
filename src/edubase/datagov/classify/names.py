"""Chinese person names (中文姓名): single and compound surnames, minority transliterated names.

Data: about 450 single surnames (the common part of 《百家姓》 plus the surnames of the 2020
census top 400, together > 99 % of the Han population), compound surnames (复姓), and the
middle-dot form of Uyghur, Kazakh, Hui and other transliterated names (``阿依古丽·买买提``).
Tibetan and Mongolian names often have no surname at all (``扎西顿珠``, ``巴特尔``): names are
therefore scored, not only matched, and a column decision also uses the column's name.
"""

from __future__ import annotations

import re

from edubase.datagov.classify.vocab import words

SINGLE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季"
    "裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄"
    "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池"
    "查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆"
    "朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫"
    "杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧"
    "闭由钮羿竺汝禄钦郗励牧寿咸籍赖逄蔚操雒"
)

COMPOUND_SURNAMES = frozenset(
    words(
        "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 独孤 南宫 西门 百里 "
        "呼延 万俟 澹台 公冶 太史 申屠 闻人 濮阳 赫连 单于 东郭 拓跋 完颜 左丘 乐正 羊舌 第五 段干 司空 亓官 司寇 "
        "仉督 子车 颛孙 巫马 公西 漆雕 壤驷 公良 谷梁 梁丘 宰父 微生 东门 公羊 闾丘 鲜于 叱干 爱新觉罗 叶赫那拉"
    )
)

#: values that look like 2–4 Han characters starting with a surname character but are common words
#: in education data (status, code-table labels, places) — never names
_NOT_NAMES = frozenset(
    words(
        "健康 良好 一般 较差 残疾 群众 团员 党员 中共党员 共青团员 少先队员 无党派 汉族 回族 满族 苗族 壮族 蒙古族 "
        "是 否 在读 毕业 转学 休学 退学 走读 住校 城镇 农村 正常 异常 优秀 合格 不合格 及格 不及格 高中 初中 小学 "
        "幼儿园 大学 本科 专科 硕士 博士 高一 高二 高三 初一 初二 初三 金融 金额 高级 中级 初级 明天 平均 全部 全体 "
        "安全 安静 和平 和谐 平安 华中 华北 华南 华东 南方 北方 东方 西方 方向 方法 方式 方面 江南 江北 海南 河南 "
        "常规 常用 时间 时期 田径 文学 文化 文科 理科 白天 黄色 红色 蓝色 白色 黑色 孔子 孟子 老师 学生 家长 万元 "
        "元旦 元月 上午 下午 中午 申请 申报 管理 管理员 项目 车辆 路线 路程 连续 左右 龙头 马上 石头 程序 成绩 成功 "
        "周一 周二 周三 周四 周五 周六 周日 周末 周期 包括 毕业生 单位 单独 单亲 留守 留守儿童 计划 计算 宁夏 "
        "广东 广西 山东 山西 江西 江苏 湖南 湖北 云南 贵州 四川 甘肃 青海 西藏 新疆 吉林 辽宁 福建 安徽 浙江 台湾 "
        "北京 天津 上海 重庆 香港 澳门 郑州 洛阳 开封 安阳 南阳 信阳 周口 商丘 许昌 焦作 新乡 鹤壁 濮阳 三门峡 "
        "平顶山 漯河 驻马店 济源"
    )
)
#: characters that end institution and category words, not given names
_BAD_LAST = frozenset(
    "省市区县镇乡村路街号楼室校院班级族组队部局委厅处站所心型类码率数额费期表册动术务款量性项件单统划息物史治语师任记"
)
_HAN = re.compile(r"[\u3400-\u9fff]+")
_DOTTED = re.compile(r"[\u3400-\u9fff]{1,10}(?:[·•・.][\u3400-\u9fff]{1,10}){1,3}")
_HAN_ONLY = re.compile(r"[\u3400-\u9fff]{2,4}")


def split_name(name: str) -> tuple[str, str]:
    """``(surname, given name)``; a compound surname is recognised first (``欧阳娜娜`` → ``欧阳``, ``娜娜``).

    Names without a known surname are split after the first character."""
    name = name.strip()
    for n in (4, 2):
        if len(name) > n and name[:n] in COMPOUND_SURNAMES:
            return name[:n], name[n:]
    return name[:1], name[1:]


def name_score(value: str) -> float:
    """How likely ``value`` is a Chinese person name, in [0, 1] (0 for anything else)."""
    if not isinstance(value, str):
        return 0.0
    text = value.strip()
    n = len(text)
    if n < 2 or n > 21:
        return 0.0
    if 5 <= n <= 7 and text[:4] in COMPOUND_SURNAMES and _HAN.fullmatch(text):
        return 0.95  # 爱新觉罗·… written without the dot
    if _HAN_ONLY.fullmatch(text):
        if text in _NOT_NAMES or text[-1] in _BAD_LAST:
            return 0.0
        if n >= 3 and text[:2] in COMPOUND_SURNAMES:
            return 0.95
        if text[0] in SINGLE_SURNAMES:
            return 0.9 if n <= 3 else 0.6
        # Tibetan, Mongolian and other names without a surname: possible, not likely on its own
        return 0.35 if n >= 3 else 0.15
    if _DOTTED.fullmatch(text):
        return 0.9
    return 0.0

"""Deterministic, realistic multilingual incident data for the benchmark.

Each incident has a main language (Russian, Kyrgyz, French, English or Chinese) and often a
sentence or two in another one, as real monitoring notes do (a quote from a detainee, a
translated summary). Titles run to one or two hundred characters, descriptions to several
hundred. Dates vary over twelve years and in precision; ``incident_type`` takes every code of
the shipped vocabulary.

The same seed always gives the same records, so the SQLCipher and plain-SQLite vaults receive
identical data.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

INCIDENT_TYPES = (
    "torture",
    "ill_treatment",
    "death_in_custody",
    "enforced_disappearance",
    "arbitrary_detention",
    "denial_of_access",
    "threats_and_intimidation",
    "harassment",
    "reprisal_for_un_cooperation",
    "judicial_harassment",
    "raid_or_search",
    "travel_ban",
    "sexual_and_gender_based_violence",
    "other",
)

PLACES = {
    "ru": ["Бишкек", "Ош", "Каракол", "Джалал-Абад", "Нарын", "Токмок", "Талас", "Баткен"],
    "ky": ["Бишкек", "Ош", "Каракол", "Жалал-Абад", "Нарын", "Токмок", "Талас", "Баткен"],
    "fr": ["Bichkek", "Och", "Karakol", "Djalal-Abad", "Naryn", "Tokmok", "Talas", "Batken"],
    "en": ["Bishkek", "Osh", "Karakol", "Jalal-Abad", "Naryn", "Tokmok", "Talas", "Batken"],
    "zh": ["比什凯克", "奥什", "卡拉科尔", "贾拉拉巴德", "纳伦", "托克马克", "塔拉斯", "巴特肯"],
}

# Sentences are drawn with a skewed distribution (the first ones much more often), so some
# words are in a large share of the records and others are rare, as in real notes.
SENTENCES = {
    "ru": [
        "Задержанный сообщил, что его избили сотрудники милиции во время допроса.",
        "В изоляторе временного содержания ему не предоставили доступ к адвокату.",
        "Родственникам не сообщили о месте содержания в течение трёх суток.",
        "Следователь угрожал возбудить уголовное дело против его брата.",
        "На теле видны гематомы и ссадины, врач зафиксировал телесные повреждения.",
        "Задержание произошло без ордера рано утром, при обыске изъяли телефон.",
        "Заявитель опасается преследования после встречи с правозащитниками.",
        "Камера переполнена, отсутствует вентиляция и питьевая вода.",
        "Жалоба в прокуратуру осталась без ответа более двух месяцев.",
        "Свидетели подтвердили, что его вывели из здания суда в наручниках.",
        "Мониторинговая группа не была допущена на территорию учреждения.",
        "После освобождения он был вынужден подписать признательные показания.",
        "Медицинская помощь была оказана только на пятый день.",
        "Адвокат отметил многочисленные нарушения процессуальных норм.",
    ],
    "ky": [
        "Кармалган адам тергөө учурунда милиция кызматкерлери урганын билдирди.",
        "Убактылуу кармоочу жайда ага адвокат менен жолугууга уруксат берилген жок.",
        "Туугандарына кармалган жери тууралуу үч күн бою кабар берилген жок.",
        "Тергөөчү анын иниси боюнча кылмыш иши козголот деп коркуткан.",
        "Денесинде көгөргөн жерлер бар, дарыгер жаракаттарды катка түшүрдү.",
        "Кармоо эрте менен ордерсиз болуп, тинтүү учурунда телефону алынды.",
        "Арызчы укук коргоочулар менен жолугушкандан кийин куугунтуктан коркот.",
        "Камера адамга толуп кеткен, желдетүү жана таза суу жок.",
        "Прокуратурага берилген арыз эки айдан ашык жоопсуз калды.",
        "Күбөлөр аны соттун имаратынан кишен салынган абалда алып чыкканын ырасташты.",
        "Мониторинг тобу мекеменин аймагына киргизилген жок.",
        "Кыйноо жана ырайымсыз мамиле тууралуу маалымат дагы эле текшерилүүдө.",
        "Бошотулгандан кийин ал мойнуна алуу көрсөтмөсүнө кол коюуга аргасыз болгон.",
        "Өч алуудан коркуп, үй-бүлөсү расмий арыз берүүдөн баш тартты.",
    ],
    "fr": [
        "Le détenu a déclaré avoir été frappé par des policiers pendant l'interrogatoire.",
        "L'avocat n'a pas pu accéder au centre de détention provisoire pendant trois jours.",
        "La famille n'a pas été informée du lieu de détention.",
        "L'enquêteur a menacé d'ouvrir une procédure pénale contre son frère.",
        "Des hématomes sont visibles ; le médecin a constaté des lésions corporelles.",
        "Il a été arrêté à l'aube sans mandat ; son téléphone a été saisi lors de la perquisition.",
        "Le plaignant craint des représailles après sa rencontre avec des défenseurs des droits.",
        "La cellule est surpeuplée, sans aération ni eau potable.",
        "La plainte déposée au parquet est restée sans réponse depuis deux mois.",
        "Des témoins ont confirmé qu'il a été sorti du tribunal menotté.",
        "L'équipe de monitoring s'est vu refuser l'accès à l'établissement.",
        "Après sa libération, il a été contraint de signer des aveux.",
        "Les soins médicaux n'ont été prodigués qu'au cinquième jour.",
        "Une détenue âgée a décrit des fouilles humiliantes répétées.",
    ],
    "en": [
        "The detainee reported being beaten by police officers during interrogation.",
        "His lawyer was denied access to the temporary detention facility for three days.",
        "Relatives were not told where he was being held.",
        "The investigator threatened to open a criminal case against his brother.",
        "Bruises and abrasions are visible; a doctor documented the injuries.",
        "The arrest took place at dawn without a warrant and his phone was seized in the search.",
        "The complainant fears reprisals after meeting human rights defenders.",
        "The cell is overcrowded, with no ventilation and no drinking water.",
        "The complaint to the prosecutor has gone unanswered for over two months.",
        "Witnesses confirmed he was led out of the courthouse in handcuffs.",
        "The monitoring team was refused entry to the facility.",
        "After release he was forced to sign a confession.",
        "Medical care was only provided on the fifth day.",
        "An elderly woman described repeated humiliating strip searches.",
    ],
    "zh": [
        "被拘留者称在审讯期间遭到警察殴打。",
        "律师在三天内未获准进入临时拘留所会见当事人。",
        "家属未被告知关押地点。",
        "调查人员威胁要对他的兄弟提起刑事诉讼。",
        "身上可见淤青和擦伤，医生记录了伤情。",
        "他在黎明时分被无证逮捕，搜查时手机被没收。",
        "投诉人在会见人权捍卫者后担心遭到报复。",
        "牢房严重拥挤，没有通风，也没有饮用水。",
        "向检察院提交的投诉两个多月没有答复。",
        "证人证实他戴着手铐被带出法院。",
        "监测小组被拒绝进入该机构。",
        "获释后他被迫在认罪书上签字。",
        "直到第五天才提供医疗救治。",
        "酷刑发生在审讯室，持续了数小时。",
    ],
}

TITLES = {
    "ru": [
        "Избиение задержанного в ИВС {place}",
        "Отказ в доступе к адвокату, {place}",
        "Угрозы родственникам заявителя ({place})",
        "Задержание без ордера в {place}",
    ],
    "ky": [
        "{place} шаарындагы УКЖда кармалган адамды уруу",
        "Адвокатка жолуктуруудан баш тартуу, {place}",
        "Арызчынын туугандарын коркутуу ({place})",
        "{place}: ордерсиз кармоо",
    ],
    "fr": [
        "Passage à tabac d'un détenu au centre de détention de {place}",
        "Refus d'accès à l'avocat, {place}",
        "Menaces contre la famille du plaignant ({place})",
        "Arrestation sans mandat à {place}",
    ],
    "en": [
        "Beating of a detainee at the {place} temporary detention facility",
        "Denial of access to a lawyer, {place}",
        "Threats against the complainant's family ({place})",
        "Arrest without a warrant in {place}",
    ],
    "zh": [
        "{place}临时拘留所被拘留者遭殴打",
        "{place}：拒绝律师会见",
        "{place}：投诉人家属受到威胁",
        "{place}无证逮捕事件",
    ],
}

LANGUAGES = ("ru", "ky", "fr", "en", "zh")
LANGUAGE_WEIGHTS = (30, 20, 15, 20, 15)
CASE_WORD = {"ru": "дело", "ky": "иш", "fr": "dossier", "en": "case", "zh": "案件"}

# Queries a monitor would type: common and rare words in each language, Russian and Kyrgyz
# stems (prefix match), a Chinese substring, accent-folded French, vocabulary labels.
SEARCH_QUERIES = (
    "задерж",
    "адвокат",
    "избили",
    "ордера",
    "прокуратуру",
    "гематомы",
    "наручниках",
    "признательные показания",
    "Бишкек",
    "вентиляция",
    "кыйноо",
    "кармалган",
    "тергөө",
    "коркуткан",
    "кишен",
    "өч алуу",
    "туугандарына",
    "Жалал-Абад",
    "дарыгер",
    "мойнуна",
    "detenu",
    "frappe",
    "avocat",
    "perquisition",
    "represailles",
    "menotte",
    "aveux",
    "temoins",
    "Och",
    "fouilles humiliantes",
    "beaten",
    "lawyer",
    "warrant",
    "handcuffs",
    "confession",
    "overcrowded",
    "prosecutor",
    "strip searches",
    "Karakol",
    "reprisals",
    "酷刑",
    "审讯",
    "律师会见",
    "手铐",
    "医疗救治",
    "拘留所",
    "比什凯克",
    "torture",
    "Пытки",
    "disappearance",
)
# Checked after the bulk insert: each must find something, or the index is not doing its job.
MUST_MATCH = {
    "chinese_substring": "审讯",
    "accent_folded_french": "detenu",
    "russian_prefix": "задерж",
    "kyrgyz": "кыйноо",
}


def _sentence(rng: random.Random, lang: str) -> str:
    pool = SENTENCES[lang]
    # Skewed choice: index = floor(len * u^2) makes the first sentences the common ones.
    return pool[int(len(pool) * rng.random() ** 2)]


def _date(rng: random.Random) -> Any:
    year = rng.randint(2013, 2024)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    shape = rng.random()
    if shape < 0.70:
        return f"{year}-{month:02d}-{day:02d}"
    if shape < 0.85:
        return f"{year}-{month:02d}"
    if shape < 0.95:
        return {"date": f"{year}-{month:02d}", "precision": "approximate"}
    return {"date": str(year), "precision": "year"}


def incident(rng: random.Random, number: int) -> dict[str, Any]:
    lang = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
    place = rng.choice(PLACES[lang])
    title = rng.choice(TITLES[lang]).format(place=place)
    sep = "" if lang == "zh" else " "
    # Titles of one to two hundred characters: the headline plus the first finding.
    title = f"{title} — {_sentence(rng, lang)}"
    if rng.random() < 0.4:
        title += sep + _sentence(rng, lang)
    parts = [_sentence(rng, lang) for _ in range(rng.randint(3, 7))]
    if rng.random() < 0.35:
        # A quoted or translated passage in another language.
        other = rng.choice([x for x in LANGUAGES if x != lang])
        parts.insert(rng.randint(0, len(parts)), _sentence(rng, other))
    parts.append(f"{CASE_WORD[lang]} № {number:06d}-{rng.randint(10, 99)}")
    data: dict[str, Any] = {
        "title": title,
        "incident_type": rng.choice(INCIDENT_TYPES),
        "description": sep.join(parts),
        "occurred_on": _date(rng),
        "location_text": place,
    }
    if rng.random() < 0.3:
        data["methods"] = rng.sample(
            [
                "beating",
                "stress positions",
                "electric shocks",
                "suffocation",
                "threats",
                "sleep deprivation",
            ],
            k=rng.randint(1, 3),
        )
    return data


def batches(total: int, size: int, seed: int = 20240601) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(seed)
    made = 0
    while made < total:
        count = min(size, total - made)
        yield [incident(rng, made + i) for i in range(count)]
        made += count

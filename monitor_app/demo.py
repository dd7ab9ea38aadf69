"""A throwaway demo vault filled with realistic, entirely fictitious sample data.

Everything here is invented: the places are fictional facilities in fictional districts, the
people are case codes with no real identity behind them, and every sensitive field says so.
The texts mix the working languages (Russian, Kyrgyz, French, English, Chinese) the way real
field notes do, so search and display can be tried in each of them.

The demo vault uses a fixed, public passphrase and the minimum KDF cost: it must never hold
real data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor_app.crypto import kdf
from monitor_app.demo_handoff import populate_handoff
from monitor_app.vault import lifecycle
from monitor_app.vault.session import UnlockedVault

DEMO_NAME = "DEMO"
DEMO_ORGANISATION = "Demo coalition (fictitious)"
# Public on purpose: a demo vault never holds real data.
DEMO_PASSPHRASE = "demo vault - not secret"  # noqa: S105

_FAKE = "DEMO — fictitious, not a real person"

# Consent per use, as recorded at the interview.
_CONSENT_FULL = {
    "record_interview": "given",
    "share_with_coalition": "given",
    "public_report_anonymised": "given",
    "submit_to_un": "given",
    "use_in_court": "given",
}
_CONSENT_LIMITED = {
    "record_interview": "given",
    "share_with_coalition": "given",
    "public_report_anonymised": "refused",
    "submit_to_un": "not_asked",
    "use_in_court": "refused",
}
_CONSENT_WITHDRAWN = {
    "record_interview": "given",
    "share_with_coalition": "withdrawn",
    "public_report_anonymised": "withdrawn",
    "submit_to_un": "refused",
    "use_in_court": "refused",
}


def _places() -> list[dict[str, Any]]:
    return [
        {
            "name": "ИВС ОВД Северного района (вымышленный)",
            "place_type": "temporary_detention_facility",
            "authority": "Министерство внутренних дел",
            "region": "Северная область",
            "address": "ул. Примерная, 1 (демо)",
            "capacity": 40,
            "notes": "Демонстрационные данные: учреждение вымышлено. Камеры в подвале, "
            "естественного освещения нет.",
        },
        {
            "name": "№ 3 тергөө абагы (СИЗО № 3, ойдон чыгарылган)",
            "place_type": "pretrial_detention_centre",
            "authority": "Жазаларды аткаруу кызматы",
            "region": "Түштүк облусу",
            "capacity": 600,
            "notes": "Демо маалымат. Камералар ашыкча толгон, медициналык бөлмө жабык.",
        },
        {
            "name": "Colonie pénitentiaire n° 12 (fictive)",
            "place_type": "prison_or_penal_colony",
            "authority": "Service pénitentiaire",
            "region": "Région de l'Est (fictive)",
            "capacity": 1200,
            "notes": "Données de démonstration. Quartier disciplinaire (ШИЗО) visité en partie.",
        },
        {
            "name": "Regional psychiatric hospital No. 2 (fictional)",
            "place_type": "psychiatric_institution",
            "authority": "Ministry of Health",
            "region": "Western region (fictional)",
            "capacity": 350,
            "notes": "Demo data. Involuntary placements without court review reported. "
            "部分病人未经法院审查被强制收治。",
        },
    ]


def _people() -> list[dict[str, Any]]:
    return [
        {
            "pseudonym": "KG-2024-017",
            "roles": ["victim"],
            "gender": "male",
            "age": 34,
            "nationality": "кыргыз",
            "occupation": "водитель",
            "notes": "Задержан по подозрению в краже; опрошен наедине в ИВС.",
            "consent": _CONSENT_FULL,
            "reprisal_risk": "high",
            "do_not_contact": False,
            "follow_up_on": "2024-06-15",
            "real_name": f"Демо Демоевич ({_FAKE})",
            "date_of_birth": {"date": "1990", "precision": "year"},
            "identity_document": "DEMO-000000 (fictitious)",
            "contact": "+000 000 000 000 (fictitious)",
        },
        {
            "pseudonym": "KG-2024-018",
            "roles": ["witness"],
            "gender": "male",
            "age_range": "25-30",
            "occupation": "студент",
            "notes": "Камерадагы кошуна, окуянын күбөсү.",
            "consent": _CONSENT_LIMITED,
            "reprisal_risk": "medium",
            "real_name": f"Test Testov ({_FAKE})",
        },
        {
            "pseudonym": "KG-2024-021",
            "roles": ["relative"],
            "gender": "female",
            "age_range": "50-60",
            "notes": "Mère de KG-2024-017 ; a déposé la première plainte.",
            "consent": _CONSENT_WITHDRAWN,
            "reprisal_risk": "high",
            "do_not_contact": True,
            "real_name": f"Exemple Exemplova ({_FAKE})",
            "address": "Not a real address (DEMO)",
        },
        {
            "pseudonym": "KG-2024-025",
            "roles": ["defender", "lawyer"],
            "gender": "female",
            "age": 41,
            "occupation": "адвокат",
            "notes": "Lawyer who testified before the UN Committee against Torture.",
            "consent": _CONSENT_FULL,
            "reprisal_risk": "high",
            "follow_up_on": {"date": "2024-09", "precision": "month"},
            "real_name": f"Sample Lawyer ({_FAKE})",
        },
        {
            "pseudonym": "KG-2024-030",
            "roles": ["defender", "source"],
            "gender": "not_stated",
            "occupation": "人权捍卫者 / правозащитник",
            "consent": _CONSENT_LIMITED,
            "reprisal_risk": "low",
        },
    ]


def _visits(place: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "place_id": place[0],
            "started_at": "2024-03-12T09:30:00+06:00",
            "ended_at": "2024-03-12T15:10:00+06:00",
            "visit_type": "in_depth",
            "announced": False,
            "team": [
                {"name": "Монитор 1 (демо)", "role": "руководитель группы"},
                {"name": "Монитор 2 (демо)", "role": "врач"},
            ],
            "access": "delayed",
            "obstruction_notes": "Доступ задержан на 40 минут: дежурный требовал письмо "
            "начальника ОВД.",
            "areas_inspected": ["камеры 1–6", "комната для допросов", "медицинский пункт"],
            "registers_checked": "Журнал задержанных, журнал медицинских осмотров.",
            "register_anomalies": "Пропуск записей за ночь 10–11 марта; исправления без подписи.",
            "occupancy": 52,
            "interviews_count": 9,
            "interviews_private": True,
            "observations": [
                {"theme": "overcrowding", "text": "52 человека при вместимости 40."},
                {"theme": "health_care", "text": "Медосмотр при поступлении не проводится."},
                {"theme": "use_of_force", "text": "Трое опрошенных сообщили об избиении."},
            ],
            "recommendations": [
                {"text": "Проводить медосмотр каждого поступающего.", "status": "new"},
                {"text": "Вести журнал задержанных без пропусков.", "status": "in_progress"},
            ],
            "follow_up_on": {"date": "2024-06", "precision": "month"},
            "summary": "Посещение ИВС Северного района: переполненность, пропуски в журнале, "
            "жалобы на избиение",
        },
        {
            "place_id": place[1],
            "started_at": "2024-04-03",
            "visit_type": "follow_up",
            "announced": True,
            "access": "restricted",
            "obstruction_notes": "Медициналык бөлмөгө киргизишкен жок.",
            "areas_inspected": ["камералар", "ашкана"],
            "occupancy": 731,
            "interviews_count": 14,
            "interviews_private": False,
            "observations": [
                {"theme": "food", "text": "Тамак-аш жетишсиз, суу үзгүлтүк менен берилет."},
                {
                    "theme": "contact_with_family_and_lawyers",
                    "text": "Адвокат менен жолугушуу бир жумага кечиктирилет.",
                },
            ],
            "recommendations": [
                {"text": "Адвокатка тоскоолсуз жетүүнү камсыз кылуу.", "status": "not_implemented"}
            ],
            "summary": "№ 3 тергөө абагына кайра баруу: тамак-аш жана адвокатка жетүү",
        },
        {
            "place_id": place[3],
            "started_at": "2024-05-20T10:00:00+06:00",
            "visit_type": "thematic",
            "announced": True,
            "access": "granted",
            "areas_inspected": ["admission ward", "isolation rooms"],
            "occupancy": 310,
            "interviews_count": 6,
            "interviews_private": True,
            "observations": [
                {"theme": "discipline", "text": "Isolation used as punishment, not recorded."},
            ],
            "good_practices": "Patients may phone relatives daily.",
            "recommendations": [
                {"text": "Record every use of isolation and restraint.", "status": "new"}
            ],
            "summary": "Thematic visit on involuntary placement and isolation (psychiatric "
            "hospital No. 2)",
        },
    ]


def _incidents(place: list[str], visit: list[str], person: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "title": "Избиение при допросе в ИВС Северного района",
            "incident_type": "torture",
            "description": "По словам KG-2024-017, в ночь задержания двое оперативников "
            "избивали его в комнате для допросов, надевали пакет на голову и требовали "
            "подписать признание. Демонстрационный пример, события вымышлены.",
            "occurred_on": "2024-03-10",
            "place_id": place[0],
            "visit_id": visit[0],
            "people": [
                {"person_id": person[0], "role": "victim"},
                {"person_id": person[1], "role": "witness"},
            ],
            "perpetrators": [
                {
                    "institution": "ОВД Северного района",
                    "unit": "уголовный розыск",
                    "rank": "оперуполномоченный",
                    "involvement": "непосредственный участник",
                }
            ],
            "methods": ["избиение", "удушение пакетом", "угрозы родственникам"],
            "injuries": "Гематомы на спине и рёбрах, перелом ребра.",
            "medical": {
                "examined": True,
                "examined_by": "врач мониторинговой группы (демо)",
                "findings": "Множественные гематомы давностью 1–3 суток.",
                "consistency": "consistent",
            },
            "sources": [
                {"source_type": "detainee", "reliability": "credible"},
                {"source_type": "medical_record", "reliability": "confirmed"},
                {
                    "source_type": "register",
                    "reliability": "credible",
                    "notes": "Пропуск записей за ночь задержания.",
                },
            ],
            "consent": _CONSENT_FULL,
            "reprisal_risk": "high",
            "reprisal_follow_up_on": "2024-04-10",
            "legal_actions": [
                {
                    "action": "Жалоба в прокуратуру",
                    "addressed_to": "Прокуратура области",
                    "date": "2024-03-15",
                    "status": "pending",
                }
            ],
            "case_status": "complaint_filed",
        },
        {
            "title": "Камерада ырайымсыз мамиле",
            "incident_type": "ill_treatment",
            "description": "Кармалгандар түнү бою тик турууга мажбурланган, суу берилген "
            "эмес. Демо маалымат.",
            "occurred_on": {"date": "2024-03", "precision": "month"},
            "place_id": place[1],
            "visit_id": visit[1],
            "people": [{"person_id": person[1], "role": "witness"}],
            "methods": ["уйкудан ажыратуу", "суусуз калтыруу"],
            "sources": [{"source_type": "detainee", "reliability": "unverified"}],
            "consent": _CONSENT_LIMITED,
            "reprisal_risk": "medium",
            "case_status": "under_review",
        },
        {
            "title": "Угрозы матери задержанного",
            "incident_type": "threats_and_intimidation",
            "description": "Неизвестные в гражданской одежде приходили домой к KG-2024-021 "
            "и требовали отозвать жалобу. Демонстрационный пример.",
            "occurred_on": {"date": "2024-03-20", "precision": "approximate"},
            "location_text": "жилой дом, Северный район (демо)",
            "people": [
                {"person_id": person[2], "role": "relative"},
                {"person_id": person[0], "role": "victim"},
            ],
            "sources": [{"source_type": "third_party", "reliability": "credible"}],
            "consent": _CONSENT_WITHDRAWN,
            "reprisal_risk": "high",
            "do_not_contact": True,
            "case_status": "new",
        },
        {
            "title": "Lawyer summoned after testifying to the UN Committee against Torture",
            "incident_type": "reprisal_for_un_cooperation",
            "description": "Two weeks after KG-2024-025 spoke at the Committee's session, the "
            "bar association opened disciplinary proceedings and police questioned her about "
            "'false information'. Demo example, all events invented.",
            "occurred_on": {"date": "2024-05", "precision": "month"},
            "location_text": "Capital city bar association (fictional)",
            "people": [{"person_id": person[3], "role": "lawyer"}],
            "sources": [{"source_type": "third_party", "reliability": "confirmed"}],
            "consent": _CONSENT_FULL,
            "reprisal_risk": "high",
            "legal_actions": [
                {
                    "action": "Urgent appeal",
                    "addressed_to": "UN Special Rapporteur on human rights defenders",
                    "date": "2024-05-30",
                    "status": "answered",
                    "response": "Communication sent to the government.",
                }
            ],
            "case_status": "referred",
        },
        {
            "title": "Procédure de radiation contre une avocate",
            "incident_type": "judicial_harassment",
            "description": "Le barreau a engagé une procédure de radiation contre "
            "KG-2024-025 pour « atteinte à l'honneur de la profession » après son témoignage. "
            "Exemple de démonstration, faits fictifs.",
            "occurred_on": "2024-06-11",
            "people": [{"person_id": person[3], "role": "defender"}],
            "sources": [{"source_type": "third_party", "reliability": "confirmed"}],
            "consent": _CONSENT_FULL,
            "reprisal_risk": "high",
            "case_status": "under_review",
        },
        {
            "title": "Обыск в офисе правозащитной организации",
            "incident_type": "raid_or_search",
            "description": "Сотрудники в масках изъяли ноутбуки и флешки; ордер не предъявлен. "
            "Демонстрационный пример.",
            "occurred_on": "2024-07-02",
            "location_text": "офис НКО, столица (демо)",
            "people": [{"person_id": person[4], "role": "defender"}],
            "sources": [{"source_type": "direct_observation", "reliability": "confirmed"}],
            "consent": _CONSENT_LIMITED,
            "reprisal_risk": "medium",
            "case_status": "new",
        },
        {
            "title": "No lawyer allowed for three days",
            "incident_type": "denial_of_access",
            "description": "KG-2024-017 was held for three days without access to a lawyer "
            "or his family. Demo example.",
            "occurred_on": {"date": "2024-03-10", "precision": "day"},
            "ended_on": "2024-03-13",
            "place_id": place[0],
            "people": [{"person_id": person[0], "role": "victim"}],
            "sources": [{"source_type": "register", "reliability": "credible"}],
            "consent": _CONSENT_FULL,
            "reprisal_risk": "high",
            "case_status": "referred",
        },
        {
            "title": "审讯期间遭受酷刑的指控",
            "incident_type": "torture",
            "description": "一名被拘留者称，在第12号劳改营的禁闭室内遭到殴打和电击。"
            "演示数据，事件纯属虚构。",
            "occurred_on": {"date": "2023", "precision": "year"},
            "place_id": place[2],
            "methods": ["殴打", "电击"],
            "sources": [{"source_type": "detainee", "reliability": "unverified"}],
            "consent": _CONSENT_LIMITED,
            "reprisal_risk": "medium",
            "case_status": "new",
        },
        {
            "title": "Surveillance of a coalition meeting",
            "incident_type": "harassment",
            "description": "Men with cameras filmed participants entering a coalition "
            "meeting; the venue cancelled the next booking. Demo example.",
            "occurred_on": {"date": "2024-02", "precision": "approximate"},
            "location_text": "hotel conference room (fictional)",
            "people": [{"person_id": person[4], "role": "defender"}],
            "sources": [{"source_type": "direct_observation", "reliability": "confirmed"}],
            "consent": _CONSENT_FULL,
            "reprisal_risk": "low",
            "case_status": "closed",
        },
    ]


def populate_demo(vault: UnlockedVault) -> None:
    """Add the fictitious sample places, people, visits and incidents to ``vault``."""
    records = vault.records
    places = [view.record_id for view in records.add_many("place", _places())]
    people = [view.record_id for view in records.add_many("person", _people())]
    visits = [view.record_id for view in records.add_many("visit", _visits(places))]
    records.add_many("incident", _incidents(places, visits, people))


def create_demo_vault(
    directory: Path, *, workspace: Path | None = None
) -> tuple[UnlockedVault, str]:
    """Create a demo vault at ``directory`` (absent or empty), filled with sample data.

    With a ``workspace`` (a private folder, such as the temporary one ``directory`` is in), the
    vault also gets contacts and a handoff history (``demo_handoff``): the other parties'
    throwaway vaults are made and removed there, and the bundle files stay there.

    Returns the unlocked vault and its recovery code. The passphrase is ``DEMO_PASSPHRASE``.
    """
    vault, code = lifecycle.create_vault(
        directory,
        DEMO_PASSPHRASE,
        name=DEMO_NAME,
        organisation=DEMO_ORGANISATION,
        kdf_params=kdf.MINIMUM,
    )
    try:
        populate_demo(vault)
        if workspace is not None:
            populate_handoff(vault, workspace)
    except BaseException:
        vault.lock()
        raise
    return vault, code

"""Demo organizations and logins (only with `bootstrap --demo`, never in production)."""

from django.db import transaction

from config.upsert import upsert

from .models import Organization, OrganizationKind, Party, Role, User

DEMO_PASSWORD = "demo-library-2023"  # noqa: S105  (printed at start; demo data only)

ORGANIZATIONS = [
    ("CHN", OrganizationKind.MINISTRY, "商务部", "Ministry of Commerce"),
    ("CHN", OrganizationKind.LOCAL_GOVERNMENT, "浙江省商务厅", "Department of Commerce of Zhejiang Province"),
    ("CHN", OrganizationKind.ENTERPRISE, "中国电子口岸数据中心", "China E-Port Data Centre"),
    ("KEN", OrganizationKind.MINISTRY, "投资、贸易和工业部", "Ministry of Investments, Trade and Industry"),
    ("KEN", OrganizationKind.BUSINESS_ASSOCIATION, "肯尼亚私营部门联盟", "Kenya Private Sector Alliance"),
    ("THA", OrganizationKind.MINISTRY, "商业部", "Ministry of Commerce"),
    ("SRB", OrganizationKind.MINISTRY, "内外贸易部", "Ministry of Internal and Foreign Trade"),
    ("PAK", OrganizationKind.MINISTRY, "商务部", "Ministry of Commerce"),
    (
        "UNCTAD",
        OrganizationKind.INTERNATIONAL_ORGANIZATION,
        "联合国贸发会议技术合作司",
        "UNCTAD Technical Cooperation Service",
    ),
]

# username, role, party code, organization (English name), first name, last name, language
PEOPLE = [
    ("coordinator", Role.COORDINATOR, None, None, "Li", "Wen", "zh-hans"),
    ("officer.chn", Role.OFFICER, "CHN", "Ministry of Commerce", "Zhang", "Min", "zh-hans"),
    ("focal.chn", Role.FOCAL_POINT, "CHN", "Ministry of Commerce", "Wang", "Fang", "zh-hans"),
    ("officer.ken", Role.OFFICER, "KEN", "Ministry of Investments, Trade and Industry", "Amina", "Otieno", "en"),
    ("focal.ken", Role.FOCAL_POINT, "KEN", "Ministry of Investments, Trade and Industry", "David", "Kamau", "en"),
    ("officer.tha", Role.OFFICER, "THA", "Ministry of Commerce", "Somchai", "Prasert", "en"),
    ("focal.tha", Role.FOCAL_POINT, "THA", "Ministry of Commerce", "Niran", "Chaiyo", "en"),
    ("officer.srb", Role.OFFICER, "SRB", "Ministry of Internal and Foreign Trade", "Milica", "Jovanović", "en"),
    ("partner.unctad", Role.PARTNER_SYSTEM, "UNCTAD", "UNCTAD Technical Cooperation Service", "UNCTAD", "system", "en"),
]


@transaction.atomic
def demo_people_load() -> list[User]:
    parties = {party.code: party for party in Party.objects.all()}
    organizations = {}
    for code, kind, name_zh, name_en in ORGANIZATIONS:
        organization, _ = upsert(
            Organization,
            lookup={"party": parties[code], "name_en": name_en},
            values={"kind": kind, "name_zh_hans": name_zh},
        )
        organizations[(code, name_en)] = organization
    people = []
    for username, role, code, organization, first, last, language in PEOPLE:
        user, outcome = upsert(
            User,
            lookup={"username": username},
            values={
                "role": role,
                "party": parties[code] if code else None,
                "organization": organizations.get((code, organization)),
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.org",
                "preferred_language": language,
            },
        )
        if outcome == "created":
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        people.append(user)
    return people

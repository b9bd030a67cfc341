"""Demo organizations and logins (only with `bootstrap --demo`, never in production).

`PEOPLE` are the logins printed at start (one per role); `MORE_PEOPLE` are the officers and
focal points of the other parties that lead or join the demo projects (same password).
"""

from django.contrib.auth.hashers import make_password
from django.db import transaction

from config.upsert import upsert

from .models import Organization, OrganizationKind, Party, Role, User

DEMO_PASSWORD = "demo-library-2023"  # noqa: S105  (printed at start; demo data only)

K = OrganizationKind
ORGANIZATIONS = [
    ("CHN", K.MINISTRY, "商务部", "Ministry of Commerce"),
    ("CHN", K.LOCAL_GOVERNMENT, "浙江省商务厅", "Department of Commerce of Zhejiang Province"),
    ("CHN", K.ENTERPRISE, "中国电子口岸数据中心", "China E-Port Data Centre"),
    ("KEN", K.MINISTRY, "投资、贸易和工业部", "Ministry of Investments, Trade and Industry"),
    ("KEN", K.BUSINESS_ASSOCIATION, "肯尼亚私营部门联盟", "Kenya Private Sector Alliance"),
    ("THA", K.MINISTRY, "商业部", "Ministry of Commerce"),
    ("SRB", K.MINISTRY, "内外贸易部", "Ministry of Internal and Foreign Trade"),
    ("PAK", K.MINISTRY, "商务部", "Ministry of Commerce"),
    ("UNCTAD", K.INTERNATIONAL_ORGANIZATION, "联合国贸发会议技术合作司", "UNCTAD Technical Cooperation Service"),
    # Added with the demo projects: ministries of the other parties, and local governments,
    # enterprises, business associations and research institutions that lead projects.
    ("CHN", K.LOCAL_GOVERNMENT, "杭州市人民政府", "Hangzhou Municipal People's Government"),
    ("CHN", K.LOCAL_GOVERNMENT, "海南省商务厅", "Department of Commerce of Hainan Province"),
    (
        "CHN",
        K.RESEARCH_INSTITUTION,
        "商务部国际贸易经济合作研究院",
        "Chinese Academy of International Trade and Economic Cooperation",
    ),
    ("CHN", K.BUSINESS_ASSOCIATION, "中国国际商会", "China Chamber of International Commerce"),
    ("CHN", K.ENTERPRISE, "丝路光伏新能源有限公司", "Silk Road Photovoltaic New Energy Co., Ltd."),
    ("KEN", K.LOCAL_GOVERNMENT, "蒙巴萨郡政府", "County Government of Mombasa"),
    ("KEN", K.ENTERPRISE, "肯尼亚港务局", "Kenya Ports Authority"),
    ("THA", K.MINISTRY, "数字经济促进局", "Digital Economy Promotion Agency"),
    ("THA", K.BUSINESS_ASSOCIATION, "泰国工业联合会", "Federation of Thai Industries"),
    ("THA", K.RESEARCH_INSTITUTION, "泰国发展研究院", "Thailand Development Research Institute"),
    ("SRB", K.LOCAL_GOVERNMENT, "贝尔格莱德市政府", "City of Belgrade"),
    ("PAK", K.ENTERPRISE, "卡拉奇港信托", "Karachi Port Trust"),
    ("UZB", K.MINISTRY, "投资、工业和贸易部", "Ministry of Investment, Industry and Trade"),
    ("UZB", K.LOCAL_GOVERNMENT, "塔什干市政府", "Tashkent City Administration"),
    ("KHM", K.MINISTRY, "商业部", "Ministry of Commerce"),
    ("KHM", K.BUSINESS_ASSOCIATION, "柬埔寨服装制造商协会", "Garment Manufacturers Association in Cambodia"),
    ("LAO", K.MINISTRY, "工业和贸易部", "Ministry of Industry and Commerce"),
    ("LKA", K.MINISTRY, "贸易、商务和食品安全部", "Ministry of Trade, Commerce and Food Security"),
    ("HUN", K.MINISTRY, "外交与对外经济部", "Ministry of Foreign Affairs and Trade"),
    ("HUN", K.LOCAL_GOVERNMENT, "佩奇市政府", "Municipality of Pécs"),
    ("ETH", K.MINISTRY, "贸易和区域一体化部", "Ministry of Trade and Regional Integration"),
    ("ETH", K.MINISTRY, "埃塞俄比亚投资委员会", "Ethiopian Investment Commission"),
    ("NGA", K.MINISTRY, "联邦工业、贸易和投资部", "Federal Ministry of Industry, Trade and Investment"),
    ("NGA", K.LOCAL_GOVERNMENT, "拉各斯州政府", "Lagos State Government"),
    ("ARG", K.MINISTRY, "外交、国际贸易和宗教部", "Ministry of Foreign Affairs, International Trade and Worship"),
    ("ARG", K.RESEARCH_INSTITUTION, "国家工业技术研究所", "National Institute of Industrial Technology"),
    ("CHL", K.MINISTRY, "国际经济关系副部", "Undersecretariat of International Economic Relations"),
    ("CHL", K.BUSINESS_ASSOCIATION, "智利出口商协会", "Chilean Exporters Association"),
    ("MNG", K.MINISTRY, "经济和发展部", "Ministry of Economy and Development"),
    ("KGZ", K.MINISTRY, "经济和商务部", "Ministry of Economy and Commerce"),
    ("TZA", K.MINISTRY, "工业和贸易部", "Ministry of Industry and Trade"),
    ("TZA", K.RESEARCH_INSTITUTION, "达累斯萨拉姆大学", "University of Dar es Salaam"),
    ("ZMB", K.MINISTRY, "商业、贸易和工业部", "Ministry of Commerce, Trade and Industry"),
    ("ZMB", K.MINISTRY, "赞比亚发展署", "Zambia Development Agency"),
    ("PHL", K.MINISTRY, "贸易和工业部", "Department of Trade and Industry"),
    ("UNIDO", K.INTERNATIONAL_ORGANIZATION, "工发组织能源与气候行动司", "UNIDO Division of Energy and Climate Action"),
    ("ITC", K.INTERNATIONAL_ORGANIZATION, "国际贸易中心企业竞争力处", "ITC Enterprise Competitiveness Section"),
    ("MOZ", K.MINISTRY, "工业和贸易部", "Ministry of Industry and Trade"),
    ("CIV", K.MINISTRY, "商业和工业部", "Ministry of Commerce and Industry"),
    ("CMR", K.MINISTRY, "商业部", "Ministry of Trade"),
    ("SLE", K.MINISTRY, "贸易和工业部", "Ministry of Trade and Industry"),
    ("BLR", K.MINISTRY, "经济部", "Ministry of Economy"),
    ("TJK", K.MINISTRY, "经济发展和贸易部", "Ministry of Economic Development and Trade"),
    ("MMR", K.MINISTRY, "商务部", "Ministry of Commerce"),
    ("BRN", K.MINISTRY, "财政和经济部", "Ministry of Finance and Economy"),
    ("NIC", K.MINISTRY, "发展、工业和贸易部", "Ministry of Development, Industry and Trade"),
    ("TKM", K.MINISTRY, "贸易和对外经济关系部", "Ministry of Trade and Foreign Economic Relations"),
    ("PNG", K.MINISTRY, "国际贸易和投资部", "Department of International Trade and Investment"),
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

# party code → (ministry, (officer first, last) or None, (focal point first, last))
_PARTY_PEOPLE = {
    "SRB": ("Ministry of Internal and Foreign Trade", None, ("Nikola", "Petrović")),
    "PAK": ("Ministry of Commerce", ("Ayesha", "Khan"), ("Imran", "Qureshi")),
    "UZB": ("Ministry of Investment, Industry and Trade", ("Dilnoza", "Karimova"), ("Bekzod", "Rakhimov")),
    "KHM": ("Ministry of Commerce", ("Sokha", "Chan"), ("Vannak", "Meas")),
    "LAO": ("Ministry of Industry and Commerce", ("Khamla", "Phommachanh"), ("Souksavanh", "Vongsa")),
    "LKA": ("Ministry of Trade, Commerce and Food Security", ("Nadeesha", "Perera"), ("Ruwan", "Jayasinghe")),
    "HUN": ("Ministry of Foreign Affairs and Trade", ("Eszter", "Nagy"), ("Gábor", "Kovács")),
    "ETH": ("Ministry of Trade and Regional Integration", ("Hanna", "Tesfaye"), ("Dawit", "Bekele")),
    "NGA": ("Federal Ministry of Industry, Trade and Investment", ("Chiamaka", "Okafor"), ("Tunde", "Adeyemi")),
    "ARG": (
        "Ministry of Foreign Affairs, International Trade and Worship",
        ("Lucía", "Fernández"),
        ("Martín", "Gómez"),
    ),
    "CHL": ("Undersecretariat of International Economic Relations", ("Camila", "Rojas"), ("Felipe", "Muñoz")),
    "MNG": ("Ministry of Economy and Development", ("Oyunchimeg", "Batbayar"), ("Ganbold", "Dorj")),
    "KGZ": ("Ministry of Economy and Commerce", ("Aigerim", "Toktosunova"), ("Nurlan", "Abdyldaev")),
    "TZA": ("Ministry of Industry and Trade", ("Neema", "Mwakyusa"), ("Juma", "Mrisho")),
    "ZMB": ("Ministry of Commerce, Trade and Industry", ("Mutale", "Banda"), ("Chanda", "Phiri")),
    "PHL": ("Department of Trade and Industry", ("Maria", "Santos"), ("Jose", "Reyes")),
    "UNCTAD": ("UNCTAD Technical Cooperation Service", ("Sofia", "Marchetti"), ("Pierre", "Dubois")),
    "UNIDO": ("UNIDO Division of Energy and Climate Action", ("Anna", "Berger"), ("Thomas", "Huber")),
    "ITC": ("ITC Enterprise Competitiveness Section", ("Fatou", "Diallo"), ("James", "Morgan")),
    "MOZ": ("Ministry of Industry and Trade", None, ("Ana", "Machava")),
    "CIV": ("Ministry of Commerce and Industry", None, ("Aya", "Kouassi")),
    "CMR": ("Ministry of Trade", None, ("Paul", "Ngono")),
    "SLE": ("Ministry of Trade and Industry", None, ("Fatmata", "Kamara")),
    "BLR": ("Ministry of Economy", None, ("Olga", "Ivanova")),
    "TJK": ("Ministry of Economic Development and Trade", None, ("Farrukh", "Nazarov")),
    "MMR": ("Ministry of Commerce", None, ("Thandar", "Aung")),
    "BRN": ("Ministry of Finance and Economy", None, ("Nurul", "Hassan")),
    "NIC": ("Ministry of Development, Industry and Trade", None, ("Rosa", "Martínez")),
    "TKM": ("Ministry of Trade and Foreign Economic Relations", None, ("Merdan", "Atayev")),
    "PNG": ("Department of International Trade and Investment", None, ("John", "Kila")),
}


def _more_people():
    people = [
        (
            "officer.zhejiang",
            Role.OFFICER,
            "CHN",
            "Department of Commerce of Zhejiang Province",
            "Chen",
            "Jie",
            "zh-hans",
        ),
    ]
    for code, (organization, officer, focal) in _PARTY_PEOPLE.items():
        if officer:
            people.append((f"officer.{code.lower()}", Role.OFFICER, code, organization, *officer, "en"))
        people.append((f"focal.{code.lower()}", Role.FOCAL_POINT, code, organization, *focal, "en"))
    return people


MORE_PEOPLE = _more_people()


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
    password = None  # hashed once: hashing ~60 times would take tens of seconds
    people = []
    for username, role, code, organization, first, last, language in PEOPLE + MORE_PEOPLE:
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
            password = password or make_password(DEMO_PASSWORD)
            User.objects.filter(pk=user.pk).update(password=password)
        people.append(user)
    return people

"""The fictional world of the demo sample: Acme CRM, its customers and the people who post.

Everything here is invented. The company names, people, handles and domains do not refer to
anyone; domains use the reserved `.example` top-level domain.
"""

import random

# The customers who appear in the posts. Handles are the forms the CRM export carries
# (reddit `u/name`, mastodon `@user@server`, Stack Overflow profile links). `key` is how the
# post data refers to them.
STORY_CUSTOMERS = [
    # key, name, email, company, domain, handles {kind: handle}, products, tier, owner
    dict(key="maya", name="Maya Chen", email="maya.chen@brightpath.example", company="BrightPath Logistics",
         domain="brightpath.example", handles={"reddit": "u/mayachen_ops"}, products="Acme Inbox; Acme Sync",
         tier="enterprise", owner="Dana Whitfield"),
    dict(key="tom", name="Tom Okafor", email="tom@okafor-studio.example", company="Okafor Studio",
         domain="okafor-studio.example", handles={"hackernews": "tokafor"}, products="Acme Inbox", tier="smb",
         owner="Dana Whitfield"),
    dict(key="priya", name="Priya Raman", email="priya.raman@northwind.example", company="Northwind Health",
         domain="northwind.example", handles={"mastodon": "@priya@fosstodon.org"}, products="Acme Sync",
         tier="enterprise", owner="Luis Ortega"),
    dict(key="jonas", name="Jonas Berg", email="jonas.berg@fjordsoft.example", company="Fjordsoft, AB",
         domain="fjordsoft.example", handles={"bluesky": "jonasberg.bsky.social"}, products="Acme Inbox",
         tier="mid-market", owner="Luis Ortega"),
    dict(key="alicia", name="Alicia Gómez", email="alicia@tiendaverde.example", company="Tienda Verde",
         domain="tiendaverde.example", handles={"reddit": "u/tiendaverde_alicia"}, products="Acme Inbox",
         tier="smb", owner="Dana Whitfield"),
    dict(key="sam", name="Sam Patel", email="sam.patel@quillworks.example", company="Quillworks",
         domain="quillworks.example", handles={"stackexchange": "https://stackoverflow.com/users/881234/sam-patel"},
         products="Acme Sync", tier="mid-market", owner="Kim Novak"),
    dict(key="lena", name="Lena Fischer", email="lena.fischer@hausbau.example", company="Hausbau GmbH",
         domain="hausbau.example", handles={"hackernews": "lfischer"}, products="Acme Inbox; Acme Sync",
         tier="enterprise", owner="Kim Novak"),
    dict(key="ravi", name="Ravi Shah", email="ravi@shahandsons.example", company="Shah & Sons, Ltd.",
         domain="shahandsons.example", handles={"reddit": "u/ravishah"}, products="Acme Inbox", tier="smb",
         owner="Dana Whitfield"),
    dict(key="emily", name="Emily Stone", email="emily.stone@lumen-edu.example", company="Lumen Education",
         domain="lumen-edu.example", handles={"bluesky": "emilystone.bsky.social"}, products="Acme Sync",
         tier="mid-market", owner="Luis Ortega"),
    dict(key="kenji", name="Kenji Watanabe", email="kenji@sakuradesign.example", company="Sakura Design",
         domain="sakuradesign.example", handles={"hackernews": "kwatanabe"}, products="Acme Inbox", tier="smb",
         owner="Kim Novak"),
    dict(key="grace", name="Grace Miller", email="grace.miller@harborbank.example", company="Harbor Bank",
         domain="harborbank.example", handles={"mastodon": "@gmiller@mastodon.social"},
         products="Acme Inbox; Acme Sync", tier="enterprise", owner="Dana Whitfield"),
    dict(key="omar", name="Omar Haddad", email="omar@haddadfoods.example", company="Haddad Foods",
         domain="haddadfoods.example", handles={"reddit": "u/omar_h"}, products="Acme Inbox", tier="smb",
         owner="Luis Ortega"),
    # Customers added with the larger sample.
    dict(key="daniel", name="Daniel Brooks", email="daniel.brooks@pinecrestdental.example",
         company="Pinecrest Dental", domain="pinecrestdental.example", handles={}, products="Acme Inbox",
         tier="smb", owner="Marcus Bell"),
    dict(key="hannah", name="Hannah Lindqvist", email="hannah@nordlystravel.example", company="Nordlys Travel AB",
         domain="nordlystravel.example", handles={"bluesky": "hannahlindqvist.bsky.social"},
         products="Acme Inbox; Acme Sync", tier="mid-market", owner="Ines Carvalho"),
    dict(key="marco", name="Marco Bianchi", email="m.bianchi@bianchiricambi.example", company="Bianchi Ricambi",
         domain="bianchiricambi.example", handles={"mastodon": "@marcob@mastodon.social"}, products="Acme Sync",
         tier="smb", owner="Ines Carvalho"),
    dict(key="aisha", name="Aisha Bello", email="aisha.bello@greenleafpm.example",
         company="Greenleaf Property Management", domain="greenleafpm.example", handles={"reddit": "u/aishabello"},
         products="Acme Inbox; Acme Insights", tier="mid-market", owner="Marcus Bell"),
    dict(key="carlos", name="Carlos Mendes", email="carlos@mendesfilhos.example", company="Mendes & Filhos",
         domain="mendesfilhos.example",
         handles={"stackexchange": "https://stackoverflow.com/users/4410923/carlos-mendes"},
         products="Acme Sync", tier="smb", owner="Ines Carvalho"),
    dict(key="sophie", name="Sophie Laurent", email="sophie@atelierlaurent.example", company="Atelier Laurent",
         domain="atelierlaurent.example", handles={"mastodon": "@sophie@piaille.example"}, products="Acme Inbox",
         tier="smb", owner="Ines Carvalho"),
    dict(key="ben", name="Ben Carter", email="ben@carterroofing.example", company="Carter Roofing",
         domain="carterroofing.example", handles={"reddit": "u/bencarter"}, products="Acme Inbox; Acme Mobile",
         tier="smb", owner="Marcus Bell"),
    dict(key="yuki", name="Yuki Tanaka", email="yuki.tanaka@tanakafreight.example", company="Tanaka Freight",
         domain="tanakafreight.example", handles={"hackernews": "yukitanaka"}, products="Acme Sync; Acme Insights",
         tier="enterprise", owner="Kim Novak"),
    dict(key="olivia", name="Olivia Brennan", email="olivia@brennanlegal.example", company="Brennan Legal",
         domain="brennanlegal.example", handles={"bluesky": "oliviabrennan.bsky.social"}, products="Acme Inbox",
         tier="smb", owner="Marcus Bell"),
    dict(key="ethan", name="Ethan Walsh", email="ethan@walshoutdoor.example", company="Walsh Outdoor Gear",
         domain="walshoutdoor.example", handles={"bluesky": "ethanwalsh.bsky.social"},
         products="Acme Inbox; Acme Sync", tier="mid-market", owner="Dana Whitfield"),
    dict(key="fatima", name="Fatima Idrissi", email="fatima@atlasimports.example", company="Atlas Imports",
         domain="atlasimports.example", handles={"mastodon": "@fidrissi@mastodon.social"}, products="Acme Sync",
         tier="mid-market", owner="Luis Ortega"),
    dict(key="noah", name="Noah Petersen", email="noah@petersenarkitekter.example",
         company="Petersen Arkitekter", domain="petersenarkitekter.example",
         handles={"bluesky": "noahpetersen.bsky.social"}, products="Acme Inbox", tier="smb", owner="Kim Novak"),
    dict(key="chloe", name="Chloe Martin", email="chloe.martin@brightsmile.example", company="BrightSmile Clinics",
         domain="brightsmile.example", handles={"reddit": "u/chloemartin"}, products="Acme Inbox; Acme Insights",
         tier="enterprise", owner="Marcus Bell"),
    dict(key="diego", name="Diego Alvarez", email="diego@alvarezcoffee.example", company="Alvarez Coffee Roasters",
         domain="alvarezcoffee.example", handles={"mastodon": "@diegoalvarez@hachyderm.example"},
         products="Acme Inbox", tier="smb", owner="Ines Carvalho"),
    dict(key="rachel", name="Rachel Adler", email="rachel.adler@meridianins.example", company="Meridian Insurance",
         domain="meridianins.example", handles={"hackernews": "radler"}, products="Acme Inbox; Acme Sync; Acme Insights",
         tier="enterprise", owner="Dana Whitfield"),
    dict(key="tariq", name="Tariq Aziz", email="tariq@azizsolar.example", company="Aziz Solar",
         domain="azizsolar.example", handles={"stackexchange": "https://stackoverflow.com/users/7712004/tariq-aziz"},
         products="Acme Sync", tier="mid-market", owner="Luis Ortega"),
    dict(key="mia", name="Mia Novak", email="mia@novakevents.example", company="Novak Events",
         domain="novakevents.example", handles={"bluesky": "mianovak.bsky.social"}, products="Acme Inbox",
         tier="smb", owner="Marcus Bell"),
    dict(key="liam", name="Liam O'Connor", email="liam@oconnorplumbing.example", company="O'Connor Plumbing",
         domain="oconnorplumbing.example", handles={"reddit": "u/liamoconnor"}, products="Acme Inbox; Acme Mobile",
         tier="smb", owner="Dana Whitfield"),
    dict(key="ana", name="Ana Souza", email="ana.souza@viveiroverde.example", company="Viveiro Verde",
         domain="viveiroverde.example", handles={"mastodon": "@anasouza@mastodon.social"}, products="Acme Inbox",
         tier="smb", owner="Ines Carvalho"),
    dict(key="peter", name="Peter Lindgren", email="peter.lindgren@kustdata.example", company="Kustdata",
         domain="kustdata.example", handles={"hackernews": "plindgren"}, products="Acme Sync", tier="mid-market",
         owner="Kim Novak"),
    dict(key="zoe", name="Zoe Campbell", email="zoe@campbellbakery.example", company="Campbell Bakery",
         domain="campbellbakery.example", handles={"bluesky": "zoecampbell.bsky.social"}, products="Acme Inbox",
         tier="smb", owner="Marcus Bell"),
    dict(key="isaac", name="Isaac Levi", email="isaac.levi@cedarcapital.example", company="Cedar Capital",
         domain="cedarcapital.example", handles={"stackexchange": "https://stackoverflow.com/users/5520187/isaac-levi"},
         products="Acme Sync; Acme Insights", tier="enterprise", owner="Dana Whitfield"),
    dict(key="nina", name="Nina Kovac", email="nina@kovacprint.example", company="Kovac Print",
         domain="kovacprint.example", handles={"mastodon": "@ninakovac@fosstodon.org"}, products="Acme Inbox",
         tier="smb", owner="Kim Novak"),
    dict(key="jamal", name="Jamal Wright", email="jamal@wrightfitness.example", company="Wright Fitness",
         domain="wrightfitness.example", handles={"reddit": "u/jamalwright"}, products="Acme Inbox; Acme Mobile",
         tier="smb", owner="Marcus Bell"),
    dict(key="helen", name="Helen Park", email="helen.park@parkandlee.example", company="Park & Lee Accountants",
         domain="parkandlee.example", handles={"bluesky": "helenpark.bsky.social"}, products="Acme Inbox; Acme Sync",
         tier="mid-market", owner="Luis Ortega"),
    dict(key="victor", name="Victor Dubois", email="victor@duboislogistique.example", company="Dubois Logistique",
         domain="duboislogistique.example", handles={"hackernews": "vdubois"}, products="Acme Sync",
         tier="enterprise", owner="Ines Carvalho"),
    dict(key="laura", name="Laura Jensen", email="laura@jensenvet.example", company="Jensen Veterinary",
         domain="jensenvet.example", handles={}, products="Acme Inbox", tier="smb", owner="Kim Novak"),
    dict(key="samir", name="Samir Nasser", email="samir@nassertextiles.example", company="Nasser Textiles",
         domain="nassertextiles.example", handles={}, products="Acme Inbox; Acme Sync", tier="mid-market",
         owner="Luis Ortega"),
    dict(key="greta", name="Greta Hoffmann", email="greta.hoffmann@alpinsport.example", company="Alpinsport",
         domain="alpinsport.example", handles={"mastodon": "@greta@chaos.example"}, products="Acme Sync",
         tier="mid-market", owner="Ines Carvalho"),
    dict(key="owen", name="Owen Davies", email="owen@daviesbuilders.example", company="Davies Builders",
         domain="daviesbuilders.example", handles={"bluesky": "owendavies.bsky.social"}, products="Acme Mobile",
         tier="smb", owner="Marcus Bell"),
]

# Account owners at Acme.
OWNERS = ["Dana Whitfield", "Luis Ortega", "Kim Novak", "Marcus Bell", "Ines Carvalho"]

# The rest of the CRM: customers who do not post in the sample. Names and companies are
# combined from these lists with a fixed seed.
FIRST_NAMES = [
    "Abigail", "Adrian", "Agnes", "Alan", "Alba", "Aleksander", "Amara", "Amir", "Anders", "Andrea", "Anika",
    "Arjun", "Astrid", "Beatriz", "Bjorn", "Bruno", "Camila", "Cecilia", "Cormac", "Dalia", "Damian", "Dmitri",
    "Eamon", "Edith", "Elif", "Elin", "Elliot", "Esther", "Farah", "Felix", "Florence", "Gabriel", "Gideon",
    "Hana", "Harvey", "Hugo", "Ida", "Ingrid", "Ivan", "Jasper", "Joanna", "Jorge", "Julia", "Kai", "Karim",
    "Katarina", "Keira", "Leon", "Lila", "Lucas", "Lucia", "Magnus", "Malik", "Margot", "Matteo", "Mei",
    "Milo", "Nadia", "Naomi", "Niamh", "Nils", "Oskar", "Paula", "Petra", "Quentin", "Rafael", "Rania",
    "Rhys", "Rosa", "Ruth", "Salma", "Sander", "Selin", "Simone", "Stefan", "Tamsin", "Teodor", "Thea",
    "Tobias", "Ulla", "Valentina", "Wanjiru", "Wesley", "Yara", "Yusuf", "Zainab",
]
LAST_NAMES = [
    "Abbott", "Achterberg", "Amador", "Aronsson", "Baptiste", "Barros", "Beaumont", "Bergstrom", "Blackwood",
    "Bondarenko", "Calloway", "Castellanos", "Chandra", "Cruz", "Dalton", "Demir", "Dunmore", "Eklund",
    "Esposito", "Falk", "Farrow", "Ferreira", "Galloway", "Gruber", "Hale", "Haugen", "Holm", "Ibarra",
    "Ivanova", "Jaramillo", "Kader", "Kaur", "Keane", "Kowalski", "Lambert", "Larsen", "Lucero", "Maalouf",
    "Mahler", "Marsh", "Moreau", "Mwangi", "Nakamura", "Navarro", "Nyberg", "Oduya", "Ortiz", "Pacheco",
    "Pellegrini", "Quinlan", "Rahman", "Reyes", "Rinaldi", "Rossi", "Saarinen", "Salazar", "Sandoval",
    "Sato", "Schreiber", "Sorensen", "Strand", "Sullivan", "Takahashi", "Thorne", "Trujillo", "Vance",
    "Varga", "Vasquez", "Voss", "Wainwright", "Weiss", "Whitaker", "Yilmaz", "Zamora", "Zielinski",
]
COMPANY_STEMS = [
    "Amberline", "Anchor Point", "Arbor", "Ashgrove", "Bayside", "Beacon", "Birchwood", "Bluewater", "Boulder",
    "Brightwater", "Cabot", "Canopy", "Cascade", "Cedar Hollow", "Clearview", "Cobalt", "Copperfield",
    "Crescent", "Driftwood", "Eastgate", "Elmstead", "Emberly", "Evergreen", "Fairhaven", "Fernbrook",
    "Fieldstone", "Foxglove", "Granite Peak", "Greystone", "Halcyon", "Hartwell", "Highland", "Hollowbrook",
    "Ironbridge", "Juniper", "Keystone", "Kingfisher", "Lakeshore", "Larkspur", "Lighthouse", "Linden",
    "Lodestar", "Maplewood", "Marigold", "Meadowlark", "Millbrook", "Moonstone", "Northgate", "Oakridge",
    "Orchard", "Pebble Creek", "Pinnacle", "Quarry Lane", "Ravenwood", "Redfern", "Riverbend", "Rosewood",
    "Saltmarsh", "Sandpiper", "Silverline", "Skyward", "Southbank", "Springvale", "Stonebridge", "Summit",
    "Sunridge", "Tidewater", "Timberline", "Trailhead", "Verdant", "Westbrook", "Willowmere", "Windmill",
]
COMPANY_KINDS = [
    ("Dental", "smb"), ("Logistics", "mid-market"), ("Realty", "smb"), ("Veterinary Clinic", "smb"),
    ("Architects", "smb"), ("Insurance", "enterprise"), ("Credit Union", "enterprise"), ("Law", "smb"),
    ("Consulting", "smb"), ("Hotels", "mid-market"), ("Travel", "smb"), ("Home Care", "mid-market"),
    ("Manufacturing", "mid-market"), ("Software", "mid-market"), ("Events", "smb"), ("Foods", "mid-market"),
    ("Outfitters", "smb"), ("Property Management", "mid-market"), ("Physiotherapy", "smb"),
    ("Engineering", "enterprise"), ("Recruiting", "smb"), ("Marketing", "smb"), ("Print", "smb"),
    ("Energy", "enterprise"), ("Health", "enterprise"), ("Academy", "mid-market"), ("Wines", "smb"),
]
LEGAL_FORMS = ["", "", "", " Ltd", " LLC", " GmbH", " Inc.", " AB", " B.V."]
PRODUCT_SETS = [
    "Acme Inbox", "Acme Inbox", "Acme Inbox; Acme Sync", "Acme Sync", "Acme Inbox; Acme Insights",
    "Acme Inbox; Acme Sync; Acme Insights", "Acme Inbox; Acme Mobile",
]


def slug(text, sep=""):
    out = []
    for ch in text.lower():
        if ch.isalnum() and ch.isascii():
            out.append(ch)
        elif out and out[-1] != sep and sep:
            out.append(sep)
    return "".join(out).strip(sep)


def filler_customers(count, taken_names, rng):
    """`count` customers who never post, each with a distinct name and company."""
    customers = []
    names = set(taken_names)
    companies = set()
    while len(customers) < count:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        stem = rng.choice(COMPANY_STEMS)
        kind, tier = rng.choice(COMPANY_KINDS)
        company = f"{stem} {kind}{rng.choice(LEGAL_FORMS)}"
        core = f"{stem} {kind}"
        if name in names or core in companies:
            continue
        names.add(name)
        companies.add(core)
        domain = f"{slug(stem)}{slug(kind.split()[0])}.example"
        first, last = name.lower().split(" ", 1)
        email = rng.choice([f"{first}.{slug(last)}@{domain}", f"{first}@{domain}", f"{first[0]}{slug(last)}@{domain}"])
        customers.append(dict(key=None, name=name, email=email, company=company, domain=domain, handles={},
                              products=rng.choice(PRODUCT_SETS), tier=tier, owner=rng.choice(OWNERS)))
    return customers


def customers(total, seed):
    rng = random.Random(seed)
    story = [dict(c) for c in STORY_CUSTOMERS]
    filler = filler_customers(total - len(story), [c["name"] for c in story], rng)
    # Story customers keep the first ids (the old sample's twelve keep theirs); the others
    # are spread in between as a CRM export would list them.
    ordered = story[:12] + sorted(story[12:] + filler, key=lambda c: rng.random())
    for index, customer in enumerate(ordered, start=1):
        customer["crm_id"] = f"CRM-{index:04d}"
    return ordered

"""A seeded, realistic sample organisation in the canonical JSONL format, with planted matches whose answers are known.

It feeds the demo (a few hundred people who read well) and the benchmark (10,000 people, 200,000 posts in seconds).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random

from graph.errors import WeaktieError

__all__ = ["PlantedMatch", "SyntheticError", "SyntheticOrg", "generate_organisation", "write_canonical"]


class SyntheticError(WeaktieError, ValueError):
    """The requested organisation cannot be generated with these sizes."""


@dataclass(frozen=True, slots=True)
class PlantedMatch:
    kind: str
    """``"already_done"`` or ``"introduction"``."""
    person: str
    """Who asks, or who should get the suggestion."""
    expert: str
    """Who already did it, or whom they should meet."""
    topic: str
    """Human label of the shared topic."""
    query: str
    """For ``already_done``: the text of the person's "working on…" post; otherwise ``""``."""
    post_ids: tuple[str, ...]
    """The expert's evidence posts."""


@dataclass(frozen=True, slots=True)
class SyntheticOrg:
    people: list[dict]
    posts: list[dict]
    planted: tuple[PlantedMatch, ...]


# ---------------------------------------------------------------------------------------------------------------
# Catalogues. Every phrase is invented for this generator.
# ---------------------------------------------------------------------------------------------------------------

_FIRST_NAMES = (
    "Ada", "Aiko", "Alejandro", "Amara", "Amir", "Ana", "Anders", "Anika", "Aoife", "Arjun", "Astrid", "Aylin",
    "Bas", "Beatriz", "Benedikt", "Bilal", "Bram", "Bruno", "Camila", "Carlos", "Cem", "Chen", "Chiara", "Chloe",
    "Dalia", "Dana", "Daniel", "Darius", "Dmitri", "Elena", "Elif", "Emeka", "Emil", "Erik", "Esther", "Farah",
    "Fatima", "Felix", "Femi", "Freya", "Gabriel", "Goran", "Greta", "Hana", "Hannah", "Helena", "Hugo", "Ilan",
    "Ines", "Ingrid", "Isaac", "Ivana", "Jakob", "Jana", "Javier", "Joana", "Jonas", "Jun", "Kai", "Karim", "Kasia",
    "Kenji", "Kira", "Kofi", "Laila", "Lars", "Lea", "Leon", "Lina", "Luca", "Lucas", "Luisa", "Maarten", "Maja",
    "Malik", "Mara", "Marco", "Maria", "Mateo", "Maya", "Mehmet", "Mei", "Mila", "Milan", "Mina", "Nadia", "Naledi",
    "Nils", "Nina", "Noah", "Nour", "Olga", "Oliver", "Omar", "Orla", "Oskar", "Paula", "Pedro", "Pia", "Priya",
    "Quentin", "Rafael", "Rania", "Ravi", "Rosa", "Ruben", "Rui", "Saanvi", "Samir", "Sanne", "Sara", "Sebastian",
    "Selin", "Shira", "Sofia", "Stefan", "Sven", "Tariq", "Tess", "Theo", "Timo", "Tomas", "Uma", "Una", "Valentina",
    "Vera", "Vikram", "Wen", "Wiebke", "Xavier", "Yara", "Yuki", "Yusuf", "Zainab", "Zoe", "Zofia",
)  # fmt: skip

_LAST_NAMES = (
    "Abara", "Achterberg", "Adeyemi", "Almeida", "Andersen", "Aziz", "Bakker", "Balogun", "Barros", "Bergstrom",
    "Bianchi", "Brandt", "Brennan", "Carvalho", "Castillo", "Chatterjee", "Connolly", "Costa", "Dahl", "Delgado",
    "Demir", "Dimitrov", "Doherty", "Dubois", "Eriksen", "Esposito", "Eze", "Farouk", "Fernandes", "Fischer",
    "Fonseca", "Gallo", "Garcia", "Grabowski", "Gunawardena", "Haddad", "Hansen", "Herrera", "Hoffmann", "Holm",
    "Horvat", "Ibrahim", "Ivanova", "Iyer", "Jansen", "Jensen", "Jovanovic", "Kapoor", "Kaya", "Keller", "Kim",
    "Kovacs", "Kowalczyk", "Kruger", "Laine", "Lambert", "Larsen", "Lindgren", "Lindqvist", "Lopes", "Mahlangu",
    "Marino", "Mendes", "Meyer", "Mikkelsen", "Moreau", "Moretti", "Mwangi", "Nair", "Nakamura", "Navarro", "Nguyen",
    "Nielsen", "Novak", "Nowak", "Obi", "Okafor", "Olsen", "Ortega", "Osei", "Owusu", "Oyelaran", "Ozturk", "Park",
    "Patel", "Pereira", "Petrov", "Pham", "Popescu", "Quinn", "Rahman", "Rasmussen", "Reyes", "Ribeiro", "Richter",
    "Rossi", "Sandoval", "Sato", "Schmidt", "Schneider", "Sepulveda", "Silva", "Singh", "Sorensen", "Sousa",
    "Suzuki", "Takahashi", "Tanaka", "Thorsen", "Toth", "Tran", "Uchenna", "Umarov", "Varga", "Vasquez",
    "Verhoeven", "Virtanen", "Vogel", "Vos", "Wagner", "Walsh", "Weber", "Winter", "Wisniewski", "Wojcik", "Xu",
    "Yadav", "Yamamoto", "Yilmaz", "Yoon", "Young", "Zamora", "Zapata", "Zhang", "Zielinski",
)  # fmt: skip

_LOCATIONS = ("Berlin", "Amsterdam", "London", "Lisbon", "Dublin", "Toronto", "Barcelona", "Remote")
_SQUADS = ("Atlas", "Borealis", "Comet", "Delta", "Ember", "Fjord", "Granite", "Harbour", "Indigo", "Juniper")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

# Several surface forms per topic, so that topic normalisation has something to do.
_TOPICS: dict[str, tuple[str, ...]] = {
    "kubernetes": ("Kubernetes", "k8s", "the k8s cluster", "Kubernetes clusters", "kubernetes"),
    "terraform": ("Terraform", "Terraform modules", "terraform", "our Terraform setup"),
    "observability": ("observability", "the observability stack", "observability tooling"),
    "incidents": ("incident response", "incident reviews", "post-incident reviews", "incident retros"),
    "ci": ("CI pipelines", "the CI pipeline", "continuous integration", "CI builds"),
    "postgres": ("Postgres", "PostgreSQL", "postgres databases", "the Postgres cluster"),
    "on_call": ("on-call", "the on-call rota", "on call shifts", "on-call shifts"),
    "service_mesh": ("service mesh", "the service mesh", "our service-mesh setup"),
    "feature_store": ("feature store", "the feature store", "feature stores"),
    "forecasting": ("forecasting", "demand forecasts", "forecasting models", "forecasts"),
    "ab_testing": ("A/B testing", "A/B tests", "AB tests", "experimentation"),
    "model_monitoring": ("model monitoring", "monitoring ML models", "model drift"),
    "airflow": ("Airflow", "Airflow DAGs", "airflow jobs"),
    "data_quality": ("data quality", "data quality checks", "data-quality tests"),
    "sql": ("SQL", "SQL queries", "warehouse SQL"),
    "python": ("Python", "python scripts", "Python tooling"),
    "gdpr": ("GDPR", "GDPR compliance", "gdpr", "the GDPR rules"),
    "threat_modelling": ("threat modelling", "threat models", "threat modeling"),
    "access_reviews": ("access reviews", "quarterly access reviews", "access review"),
    "phishing": ("phishing", "phishing simulations", "phishing emails"),
    "secrets": ("secrets management", "secret management", "managing secrets"),
    "pentest": ("penetration testing", "pen tests", "the pentest", "pentesting"),
    "soc2": ("SOC 2", "the SOC 2 audit", "SOC2 audit", "SOC 2 controls"),
    "ios_release": ("iOS release", "the iOS release", "iOS releases"),
    "android": ("Android", "the Android app", "android builds"),
    "app_review": ("App Store review", "app store reviews", "App Store submissions"),
    "crash_reporting": ("crash reporting", "crash reports", "crash-reporting tools"),
    "accessibility": ("accessibility", "a11y", "accessibility audits", "accessible components"),
    "feature_flags": ("feature flags", "feature flag", "feature flagging"),
    "design_system": ("design system", "the design system", "design-system components", "design systems"),
    "card_payments": ("card payments", "card payment", "card transactions", "card payment flows"),
    "fraud": ("fraud detection", "fraud rules", "fraud checks", "detecting fraud"),
    "reconciliation": ("reconciliation", "payment reconciliation", "reconciliations"),
    "sca": ("strong customer authentication", "SCA", "3-D Secure", "SCA challenges"),
    "idempotency": ("idempotency", "idempotency keys", "idempotent retries"),
    "refunds": ("refunds", "refund requests", "the refund flow"),
    "onboarding": ("onboarding", "onboarding sessions", "the onboarding programme"),
    "ticket_backlog": ("the ticket backlog", "ticket backlog", "support tickets", "the support queue"),
    "macros": ("support macros", "macros", "saved replies"),
    "csat": ("CSAT", "customer satisfaction", "CSAT scores"),
    "knowledge_base": ("knowledge base", "the knowledge base", "help centre articles", "knowledge-base articles"),
    "escalations": ("escalations", "escalation paths", "ticket escalations"),
    "chatbot": ("the chatbot", "chatbot", "chat bot"),
    "newsletter": ("the newsletter", "newsletters", "the monthly newsletter"),
    "campaigns": ("campaigns", "the spring campaign", "campaign planning"),
    "seo": ("SEO", "search engine optimisation", "seo"),
    "brand": ("brand guidelines", "the brand guidelines", "brand guideline"),
    "customer_research": ("customer research", "customer interviews", "research with customers"),
    "events": ("events", "event planning", "the conference stand"),
    "budgeting": ("budgeting", "the budget", "budget planning", "budgets"),
    "month_end": ("month-end close", "the month end close", "month end"),
    "invoices": ("invoices", "invoice processing", "invoicing"),
    "expenses": ("the expense policy", "expense claims", "expenses"),
    "cloud_costs": ("cloud costs", "cloud spend", "the AWS bill", "cloud cost"),
    "procurement": ("procurement", "purchase orders", "the procurement process"),
    "hiring": ("hiring", "the hiring process", "interview loops", "the hiring pipeline"),
    "performance_reviews": ("performance reviews", "perf reviews", "the review cycle"),
    "learning_budget": ("the learning budget", "learning budgets", "training budget"),
    "wellbeing": ("wellbeing", "well-being", "mental health support"),
    "remote_work": ("remote work", "remote working", "hybrid work"),
    "inclusion": ("diversity and inclusion", "D&I", "inclusion"),
    "contracts": ("contracts", "contract templates", "contract reviews"),
    "vendor_agreements": ("vendor agreements", "supplier contracts", "vendor contracts"),
    "dpa": ("data processing agreements", "DPAs", "the DPA template"),
    "privacy_notice": ("the privacy notice", "privacy notices", "the privacy policy"),
    "compliance_training": ("compliance training", "the compliance training", "mandatory training"),
    "ip": ("intellectual property", "IP assignments", "trademarks"),
    "user_research": ("user research", "research sessions", "user interviews"),
    "prototyping": ("prototyping", "prototypes", "clickable prototypes"),
    "figma": ("Figma", "figma", "Figma libraries"),
    "usability": ("usability testing", "usability tests", "usability sessions"),
    "pipeline": ("the pipeline review", "pipeline reviews", "sales pipeline"),
    "crm": ("the CRM", "CRM data", "CRM hygiene"),
    "demos": ("product demos", "demos", "the demo script"),
    "pricing": ("pricing", "the pricing page", "pricing changes"),
    "enterprise_deals": ("enterprise deals", "enterprise contracts", "large deals"),
    "laptops": ("laptops", "the laptop refresh", "new laptops"),
    "sso": ("SSO", "single sign-on", "SSO logins"),
    "password_manager": ("the password manager", "password managers", "shared passwords"),
    "test_automation": ("test automation", "automated tests", "automating tests"),
    "flaky_tests": ("flaky tests", "test flakiness", "a flaky test"),
    "okrs": ("OKRs", "quarterly OKRs", "OKR planning"),
}


@dataclass(frozen=True, slots=True)
class _TeamSpec:
    key: str
    name: str
    department: str
    topics: tuple[str, ...]
    """Core topics first; topics that also appear in other teams' pools are the shared ones."""
    roles: tuple[str, ...]
    manager_title: str
    home: str


# The first twelve are the ones the demo uses; extra teams beyond the catalogue become squads of these.
_TEAMS = (
    _TeamSpec(
        "platform",
        "Platform",
        "Engineering",
        (
            "kubernetes",
            "terraform",
            "observability",
            "incidents",
            "ci",
            "postgres",
            "on_call",
            "service_mesh",
            "cloud_costs",
        ),
        ("Platform Engineer", "Site Reliability Engineer"),
        "Engineering Manager, Platform",
        "Berlin",
    ),
    _TeamSpec(
        "data-science",
        "Data Science",
        "Data",
        (
            "forecasting",
            "ab_testing",
            "model_monitoring",
            "feature_store",
            "airflow",
            "data_quality",
            "sql",
            "python",
            "kubernetes",
        ),
        ("Data Scientist", "Machine Learning Engineer", "Analytics Engineer"),
        "Head of Data Science",
        "Amsterdam",
    ),
    _TeamSpec(
        "security",
        "Security",
        "Engineering",
        ("threat_modelling", "access_reviews", "phishing", "secrets", "pentest", "soc2", "gdpr", "incidents", "sso"),
        ("Security Engineer", "Security Analyst"),
        "Security Lead",
        "London",
    ),
    _TeamSpec(
        "mobile",
        "Mobile",
        "Product",
        (
            "ios_release",
            "android",
            "app_review",
            "crash_reporting",
            "accessibility",
            "feature_flags",
            "design_system",
            "ci",
        ),
        ("iOS Engineer", "Android Engineer"),
        "Engineering Manager, Mobile",
        "Lisbon",
    ),
    _TeamSpec(
        "payments",
        "Payments",
        "Product",
        ("card_payments", "fraud", "reconciliation", "sca", "idempotency", "refunds", "postgres", "feature_flags"),
        ("Backend Engineer", "Payments Engineer"),
        "Engineering Manager, Payments",
        "Amsterdam",
    ),
    _TeamSpec(
        "customer-support",
        "Customer Support",
        "Operations",
        ("ticket_backlog", "macros", "csat", "knowledge_base", "escalations", "chatbot", "refunds", "onboarding"),
        ("Support Specialist", "Support Engineer"),
        "Head of Customer Support",
        "Dublin",
    ),
    _TeamSpec(
        "marketing",
        "Marketing",
        "Commercial",
        ("newsletter", "campaigns", "seo", "brand", "customer_research", "events", "gdpr", "ab_testing"),
        ("Marketing Manager", "Content Strategist", "Growth Marketer"),
        "Head of Marketing",
        "London",
    ),
    _TeamSpec(
        "finance",
        "Finance",
        "Operations",
        (
            "budgeting",
            "month_end",
            "invoices",
            "expenses",
            "procurement",
            "forecasting",
            "reconciliation",
            "cloud_costs",
        ),
        ("Financial Analyst", "Accountant"),
        "Finance Director",
        "Amsterdam",
    ),
    _TeamSpec(
        "people",
        "People & HR",
        "Operations",
        (
            "hiring",
            "performance_reviews",
            "learning_budget",
            "wellbeing",
            "remote_work",
            "inclusion",
            "onboarding",
            "okrs",
        ),
        ("HR Business Partner", "Recruiter", "People Partner"),
        "Head of People",
        "Berlin",
    ),
    _TeamSpec(
        "legal",
        "Legal",
        "Operations",
        ("contracts", "vendor_agreements", "dpa", "privacy_notice", "compliance_training", "ip", "gdpr"),
        ("Legal Counsel", "Paralegal", "Privacy Counsel"),
        "General Counsel",
        "London",
    ),
    _TeamSpec(
        "design",
        "Design",
        "Product",
        ("design_system", "user_research", "prototyping", "figma", "usability", "accessibility", "brand"),
        ("Product Designer", "UX Researcher"),
        "Head of Design",
        "Lisbon",
    ),
    _TeamSpec(
        "sales",
        "Sales",
        "Commercial",
        ("pipeline", "crm", "demos", "pricing", "enterprise_deals", "customer_research", "onboarding"),
        ("Account Executive", "Sales Engineer", "Account Manager"),
        "Head of Sales",
        "Toronto",
    ),
    _TeamSpec(
        "it",
        "IT",
        "Operations",
        ("laptops", "sso", "password_manager", "access_reviews", "onboarding", "remote_work"),
        ("IT Support Engineer", "Systems Administrator"),
        "IT Manager",
        "Berlin",
    ),
    _TeamSpec(
        "qa",
        "Quality Engineering",
        "Engineering",
        ("test_automation", "flaky_tests", "ci", "feature_flags", "crash_reporting"),
        ("QA Engineer", "Test Automation Engineer"),
        "QA Lead",
        "Lisbon",
    ),
)

# --- Post templates. Slots: {t} main topic, {T} capitalised, {u} second topic, {m} a mention, {team}, {n}, {day}.
# A mention is never directly followed by a full stop, so "@ana.costa." cannot be misread as a handle.

_STATUS_OPEN = (
    "Quick update from {team}.",
    "Weekly status from the {team} team.",
    "Short progress note for this week.",
    "Where things stand this week.",
    "Friday update.",
    "Small win today.",
    "Status check-in from {team}.",
)
_STATUS_BODY = (
    "We finished the first pass on {t} and the results look better than expected.",
    "Most of the week went into {t}, so {u} slipped to next sprint.",
    "We closed {n} open items around {t} and wrote down what is left.",
    "The plan for {u} is drafted and comments are welcome before {day}.",
    "Still blocked on {t} while we wait for access from another team.",
    "We simplified how we handle {t}; the old process had {n} manual steps.",
    "Next up is {u}, which depends on the {t} changes landing first.",
    "{T} is now documented in the {team} space, including the open questions.",
    "We ran a short retro on {t} and agreed to try a lighter process for a month.",
    "The numbers for {t} are in the dashboard if you want to dig in.",
)
_STATUS_MENTION = (
    "{T} is in review now, thanks to {m} for the quick feedback.",
    "Paired with {m} on {t} and found two things we can simplify.",
    "Big help from {m} on {u} this week.",
)
_STATUS_CLOSE = (
    "More next week.",
    "Shout if you want details.",
    "Notes are in the team folder.",
    "Questions welcome in the thread.",
    "",
    "",
)

_WORKING_OPEN = (
    "Working on {t} this week.",
    "Working on {t} for the next few weeks.",
    "Currently working on {t} with the rest of {team}.",
    "Working on a first version of {t} changes.",
)
_WORKING_BODY = (
    "The goal is to make {u} less painful for everyone.",
    "First step is collecting the requirements and the known problems.",
    "I'll share notes here as I go.",
    "If you've touched {t} before, I'd love a quick chat.",
    "Expecting something to show by {day}.",
    "It's part of the bigger push on {u} this quarter.",
)
_WORKING_MENTION = ("Pairing with {m} on the tricky parts.", "Thanks to {m} for the starting notes!")

_TIL_FACT = (
    "TIL that {t} has a dry-run mode that shows what would change before anything happens.",
    "TIL you can export the {t} report straight to a spreadsheet instead of copying it by hand.",
    "TIL the old wiki page on {t} is two years out of date; the current notes live in the {team} space.",
    "TIL that most questions about {t} arrive on Mondays, so that is when we staff the channel.",
    "TIL there is a shared checklist for {t}, and it would have saved me a morning.",
    "TIL that {t} and {u} are owned by the same people, which explains a lot.",
    "TIL that the quickest way to debug {t} is to start from the last change, not the first error.",
    "TIL that {t} has a quarterly review nobody told me about.",
)
_TIL_FOLLOW = (
    "Posting so the next person finds it.",
    "Adding it to the {team} notes.",
    "Would have loved to know this last year.",
    "Put it in your calendars.",
)
_TIL_DETAIL = (
    "It isn't in the official docs anywhere, as far as I can tell.",
    "I spent an hour on it before someone explained the trick.",
    "Small thing, but it changes how I'll plan {u} from now on.",
    "Turns out half of {team} already knew and assumed everyone did.",
)
_TIL_MENTION = ("Thanks {m} for pointing me to it!",)

_HOWTO_TITLE = (
    "How we handle {t}",
    "Notes on {t}",
    "A short guide to {t}",
    "What we learned about {t}",
    "{T}: our checklist",
)
_HOWTO_INTRO = (
    "A few people asked how we approach {t}, so here is the short version.",
    "Writing down how {team} does {t} so it isn't only in our heads.",
    "After a few rounds of trial and error, this is how we run {t}.",
)
_HOWTO_STEPS = (
    "agree who owns {t} and write it down",
    "keep a checklist next to the {u} docs so nobody has to remember the steps",
    "review it every quarter and delete what nobody uses",
    "start from the smallest change that works, then automate",
    "put the numbers on a dashboard so problems show up early",
    "run a dry run with one team before rolling out",
    "link every decision to a short note explaining why",
)
_HOWTO_GOTCHA = (
    "The main gotcha: {t} looks simple until two teams change it at once.",
    "Watch out for {u}; it interacts with {t} in surprising ways.",
    "Our biggest mistake was skipping the dry run.",
)
_HOWTO_CLOSE = (
    "Happy to answer questions here.",
    "Comments and corrections welcome.",
    "Ping me if something is unclear.",
)

_QUESTION_ASK = (
    "Has anyone set up {t} for a team our size?",
    "Has anyone found a good way to handle {t} when {u} changes at the same time?",
    "Has anyone automated {t}?",
    "Who knows the most about {t} around here?",
    "Is there an owner for {t}?",
    "What is the current advice on {t}?",
    "Has anyone written guidance on {t}?",
    "Does anyone have a template for {t}?",
)
_QUESTION_CONTEXT = (
    "We are about to start and I'd rather not repeat old mistakes.",
    "The wiki page I found is from two years ago.",
    "We're new to this in {team} and the deadline is close.",
    "I found three different answers so far, which worries me.",
    "It touches {u} as well, so I want to get it right.",
)
_QUESTION_CLOSE = (
    "Any pointers welcome.",
    "Happy to buy coffee for a 15-minute chat.",
    "Thanks in advance!",
    "Links to docs are fine too.",
)
_QUESTION_MENTION = ("Maybe {m} knows?",)

_ANSWER_BODY = (
    "We ran into the same thing with {t}. What worked for us was a short checklist and one clear owner.",
    "Short answer: yes. We did this last quarter and wrote it up in the {team} space.",
    "I'd start small: try {t} on one case first, then roll out.",
    "We tried two approaches to {t}; the simpler one won by far.",
    "It depends on {u}, but in most cases the default settings for {t} are fine.",
    "Not an expert, but we had a session on {t} recently and the recording is on the intranet.",
)
_ANSWER_DETAIL = (
    "The part people usually miss is deciding who signs off when {t} and {u} conflict.",
    "Our notes on {t} live in the {team} space; search for the checklist.",
    "Whatever you pick, write down why, because someone will ask in six months.",
    "Budget a week longer than you think for the first round.",
)
_ANSWER_FOLLOW = ("Happy to show you.", "DM me and I'll share our notes.", "Good luck!", "Let me know how it goes.")
_ANSWER_MENTION = (
    "{m} wrote the original version and can tell you more.",
    "Adding {m}, who did most of the work on this.",
)

_COMMENT_OPEN = ("Thanks, this is really useful.", "Great write-up!", "Bookmarked.", "Nice one.")
_COMMENT_BODY = (
    "Does the same apply to {u}?",
    "We'll try this for {u} next month.",
    "One thing to add: keep the checklist short or people skip it.",
    "Would love a session on this for the wider team.",
)

_COMMENT_DETAIL = (
    "Sharing it with the rest of {team}.",
    "We hit exactly the same problem with {t} in the spring.",
    "It would be great to link this from the team handbook.",
    "Saved me from repeating a mistake we made last year.",
)

_DOC_TITLE = (
    "RFC: {T}",
    "Proposal: changes to {t}",
    "Policy update: {t}",
    "Design doc: {t} for next quarter",
    "{T} playbook",
)
_DOC_OPEN = (
    "This document proposes how we handle {t} from next quarter.",
    "Co-written to agree a single way of doing {t} across {team}.",
    "We wrote this after several mix-ups related to {t}.",
)
_DOC_BACKGROUND = (
    "Background: today each team does {t} differently, which costs time and causes mistakes.",
    "Background: {t} grew organically and now depends on {u} in ways nobody planned.",
)
_DOC_OPTIONS = (
    "We looked at {n} options and recommend the simplest one: one owner, one checklist and a review every quarter.",
    "Option A keeps the current setup; option B moves {t} closer to {u}. We recommend option B.",
)
_DOC_NEXT = (
    "Next steps: a pilot in {team}, then a decision at the {day} review.",
    "Risks: more work on {u} in the short term; we think it pays off within two months.",
)
_DOC_CLOSE = ("Please leave comments by {day}.", "Comments welcome, especially from people who run {u}.")

_KUDOS = (
    "Huge thanks to {m} for sorting out {t} so quickly.",
    "Shout-out to {m} for the patient help with {t} this week.",
    "Kudos to {m}: the {t} write-up saved us days.",
)
_KUDOS_FOLLOW = ("Made our week a lot easier.", "This is what working out loud looks like.", "Owe you a coffee!", "")

_KUDOS_DETAIL = (
    "Without that we would still be stuck on {u}.",
    "It unblocked three teams, and nobody even had to ask twice.",
    "The notes are clear enough that new joiners can follow them.",
)

_ANNOUNCE = (
    "Heads up: {t} changes from next {day}.",
    "Reminder: the {t} session is on {day} at 14:00.",
    "Announcement from {team}: we are consolidating how we handle {t}.",
)
_ANNOUNCE_FOLLOW = (
    "Details and FAQs are in the {team} space.",
    "Nothing changes for {u} yet.",
    "Please read the short summary before then and ask questions here.",
    "The recording will be shared afterwards.",
)


@dataclass(frozen=True, slots=True)
class _AlreadyDoneSpec:
    expert_team: str
    asker_team: str
    topic: str
    title: str
    evidence: tuple[str, ...]
    """Alternative write-ups of the expert's detailed post; one is chosen per seed."""
    follow_up: str
    working_on: tuple[str, ...]


_ALREADY_DONE = (
    _AlreadyDoneSpec(
        "security",
        "payments",
        "dynamic database credentials with Vault",
        "How we moved to short-lived Postgres credentials with Vault",
        (
            "Write-up of how we got rid of static Postgres passwords. Every service now asks HashiCorp Vault for "
            "short-lived database credentials through the database secrets engine; each lease lasts 24 hours and the "
            "Vault agent renews it. Steps: enable the engine, create one Vault role per service with a narrow grant, "
            "switch the service to read credentials from the agent, then drop the old static user. Gotcha: connection "
            "pools must reconnect when a lease expires, or you get auth errors at 3am.",
            "Notes from moving our services to dynamic Postgres credentials in Vault. Static database passwords are "
            "gone: the Vault database secrets engine hands each service short-lived credentials with a 24-hour lease "
            "and rotates them automatically. What worked: one Vault role per service, least-privilege grants, and the "
            "Vault agent as a sidecar. What bit us: connection pools that keep credentials after the lease expires. "
            "Set the pool's max lifetime below the lease TTL.",
        ),
        "Follow-up on the Vault rollout: all services now use dynamic database credentials. Lease renewals have been "
        "quiet for a month; the only incident was a batch job that held a connection longer than the lease TTL.",
        (
            "Working on removing the static Postgres passwords from the payouts service. The plan is short-lived "
            "database credentials from Vault with automatic rotation, but I'm not sure how our connection pool "
            "behaves when a lease expires. Any pointers welcome.",
            "Working on dynamic database credentials for the payouts service this sprint: Vault issuing short-lived "
            "Postgres credentials instead of the static password in the config. The main open question is the lease "
            "TTL versus our connection pool lifetime.",
        ),
    ),
    _AlreadyDoneSpec(
        "data-science",
        "marketing",
        "churn prediction model",
        "Churn model v2: what actually predicts cancellations",
        (
            "Sharing the results of the churn prediction model we built for subscriptions. Gradient boosted trees on "
            "18 months of usage data; the strongest predictors of cancellation were a drop in weekly logins, an "
            "unresolved support ticket and a failed card payment in the last 30 days. Precision in the top decile is "
            "0.41. Lesson learned: exclude customers on annual plans or the model just learns renewal dates. Code and "
            "the feature list are in the repo.",
            "Write-up of our churn prediction model. We score every subscriber weekly with gradient boosted trees; "
            "declining logins, open support tickets and failed card payments predict cancellations best. Top-decile "
            "precision is around 0.4, good enough to target retention offers. Watch out for annual plans, which leak "
            "the renewal date into the features. Feature definitions and the evaluation notebook are in the repo.",
        ),
        "Churn model update: the retention team used the top-decile churn scores for a save offer, and cancellations "
        "in that group dropped by 9 percent against the holdout. Next step is retraining monthly.",
        (
            "Working on a churn prediction model for the retention campaign. We want to target save offers at "
            "subscribers likely to cancel, but I don't know which usage signals predict cancellations best. Starting "
            "with login frequency.",
            "Working on predicting which subscribers will cancel so the retention campaign can target save offers. "
            "Thinking of churn scores from declining logins and failed card payments, but it's my first prediction "
            "model. Advice welcome.",
        ),
    ),
    _AlreadyDoneSpec(
        "legal",
        "design",
        "cookie consent banner",
        "What the rules require of a cookie consent banner",
        (
            "Guidance on cookie consent banners after the regulator's latest review. Consent must be as easy to "
            "refuse as to give: a Reject all button on the first layer, next to Accept all, same size and colour. No "
            "pre-ticked boxes, no cookie walls, and analytics cookies need consent too. Record when and how consent "
            "was given, and let people withdraw it from the footer. Happy to review banner designs before they ship.",
            "Summary of what a compliant cookie consent banner needs. Refusing must be as easy as accepting, so "
            "Reject all sits on the first layer beside Accept all with equal prominence. Boxes start unticked, the "
            "site works without consent, and analytics and marketing cookies both need opt-in. Keep a consent log and "
            "a footer link to change choices. Send me mock-ups and I'll check them against the guidance.",
        ),
        "Quick addendum on cookie consent banners: regulators now also look at button order and colour, so a bright "
        "Accept all next to a grey Reject all counts as nudging.",
        (
            "Working on a redesign of the cookie consent banner for the website and the app. Trying to make it less "
            "annoying while staying compliant. Does Reject all have to sit on the first layer next to Accept all?",
            "Working on new cookie consent banner designs this week. I want fewer clicks for visitors, but I'm unsure "
            "what is legally required for the reject option and the cookie categories. Mock-ups coming soon.",
        ),
    ),
    _AlreadyDoneSpec(
        "platform",
        "mobile",
        "remote build cache",
        "Cutting CI build times in half with a remote build cache",
        (
            "How we cut build times from 22 to 9 minutes. We put a remote build cache in front of every pipeline, so "
            "compiled artefacts are shared between runners and developer laptops. Key steps: make the builds "
            "hermetic, key the cache on inputs rather than branch names, and warm it nightly from main. The cache hit "
            "rate is now 87 percent. Gotcha: timestamps embedded in artefacts silently break cache hits.",
            "Write-up: remote build caching on our runners. Builds read and write artefacts to a shared remote cache "
            "keyed by input hashes, so a change only rebuilds what it touches. Median build time dropped from 22 to 9 "
            "minutes and the cache hit rate sits around 87 percent. Watch for non-hermetic steps such as embedded "
            "timestamps or absolute paths; they quietly kill the hit rate.",
        ),
        "Remote build cache, three months on: the hit rate is stable at 85 to 90 percent and storage costs are small. "
        "We added a dashboard of cache misses per target.",
        (
            "Working on our iOS build times: builds take 25 minutes and developers wait too long. Looking at a remote "
            "build cache so runners can share artefacts, but I'm unsure how to keep the cache hit rate high.",
            "Working on faster Android and iOS builds. A remote build cache seems the obvious step, though I have no "
            "idea what hit rate is realistic or what breaks caching.",
        ),
    ),
    _AlreadyDoneSpec(
        "finance",
        "sales",
        "sales commission automation",
        "How we automated sales commission calculations",
        (
            "We replaced the commission spreadsheet with an automated monthly calculation. Closed-won deals are "
            "exported from the CRM, matched to quota plans, and the commission calculation applies accelerators above "
            "100 percent attainment and clawbacks for deals that churn within 90 days. Reps get a statement on the "
            "second working day. Lesson: agree the split rules for shared deals before automating, not after. Ask me "
            "for the template.",
            "Notes on automating sales commission calculations. Each month we pull closed-won deals from the CRM, "
            "apply the quota plan, accelerators above target and clawbacks for early cancellations, and publish "
            "commission statements to every rep. Disputes fell from a dozen a month to two. The hard part was not the "
            "maths but writing down the split rules for shared deals.",
        ),
        "Commission automation update: statements now go out on the first working day, and the audit trail shows reps "
        "exactly which deals counted towards their commission.",
        (
            "Working on fixing our commission spreadsheet, which breaks every month. I would love to automate the "
            "commission calculations from the deals in the CRM, including accelerators and clawbacks. No idea where "
            "to start.",
            "Working on a proposal to automate sales commission statements for the team. Today it is a manual "
            "spreadsheet with lots of disputes about split deals and accelerators.",
        ),
    ),
    _AlreadyDoneSpec(
        "payments",
        "customer-support",
        "refund auto-approval",
        "Auto-approving small refunds: how the rules engine decides",
        (
            "How automatic refund approval works. Refund requests under 50 euros from accounts older than 60 days "
            "with no chargebacks are auto-approved by the rules engine and paid back to the original card within "
            "minutes. Everything else goes to manual review. Auto-approval covers 72 percent of requests and the "
            "fraud rate on them is below 0.1 percent. Thresholds live in config, so they can change without a deploy.",
            "Write-up of the refund auto-approval rules. The rules engine approves refund requests under 50 euros "
            "automatically when the account is older than 60 days and has no chargeback history; the rest land in a "
            "manual review queue. About 72 percent of refunds are now auto-approved, with fraud losses under 0.1 "
            "percent. The approval thresholds are configurable per market.",
        ),
        "Refund auto-approval, one quarter later: we raised the threshold to 75 euros in two markets after fraud "
        "stayed flat. The manual review queue is down by a third.",
        (
            "Working on cutting how long customers wait for refunds. Most refund requests are small and we approve "
            "them anyway, so I'm exploring auto-approving small refunds under a threshold. Who decides the rules?",
            "Working on a proposal to auto-approve small refunds instead of a manual review of every request. I need "
            "to understand which approval threshold and account checks keep chargebacks and fraud low.",
        ),
    ),
    _AlreadyDoneSpec(
        "design",
        "marketing",
        "colour contrast",
        "Colour contrast checks in our design tokens",
        (
            "We now check colour contrast automatically. Every colour pair in the design tokens is tested against "
            "WCAG AA: 4.5 to 1 for body text and 3 to 1 for large text and icons. Failing pairs are flagged in the "
            "token pipeline, so inaccessible combinations never reach components or email templates. We also added a "
            "dark-background palette that passes. The contrast checker script is in the tokens repo.",
            "Notes on colour contrast. All text and background pairs in our design tokens are validated against the "
            "WCAG AA contrast ratios (4.5:1 for normal text, 3:1 for large text) in the build. Brand colours that "
            "failed got darker accessible variants. If you build emails or landing pages, use the token names rather "
            "than hex codes and you get compliant contrast for free.",
        ),
        "Colour contrast follow-up: the accessible brand palette is now in the email template library too, and the "
        "contrast checker runs on every pull request.",
        (
            "Working on refreshing our newsletter email templates. Some readers said the light grey text is hard to "
            "read, so I want proper colour contrast without losing the brand colours. Is there a checker we can use?",
            "Working on making the campaign email templates readable for everyone: the colour contrast on buttons and "
            "body text is poor. Looking for accessible versions of the brand colours and a contrast ratio to aim for.",
        ),
    ),
    _AlreadyDoneSpec(
        "people",
        "platform",
        "on-call allowance",
        "How the on-call allowance works for the weekend support rota",
        (
            "Explaining the on-call allowance we introduced for the weekend support rota. Each person on call gets a "
            "flat weekly allowance plus time off in lieu for every call-out over an hour, paid through payroll the "
            "following month. Nobody is on call more than one week in four, and rota swaps are logged in the HR "
            "system. We benchmarked the allowance against six similar companies. Happy to share the policy and "
            "payroll setup.",
            "Write-up of our on-call compensation policy. People on the weekend rota receive a fixed weekly on-call "
            "allowance, plus time off in lieu when a call-out lasts longer than an hour. Payroll picks it up "
            "automatically from the rota export. We capped on-call at one week in four and benchmarked the allowance "
            "with peer companies. The policy page and FAQ are in the HR portal.",
        ),
        "On-call allowance follow-up: after six months, rota swaps are down and nobody has exceeded one week in four. "
        "We will review the allowance amount with the annual pay review.",
        (
            "Working on a proposal for on-call compensation on the platform rota. Right now people get nothing extra "
            "for weekend pages, which isn't fair. Has anyone designed an on-call allowance or time off in lieu?",
            "Working on how we reward on-call: the platform rota has no allowance and night call-outs go unpaid. "
            "Drafting an on-call compensation proposal with time off in lieu.",
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class _IntroSpec:
    person_team: str
    expert_team: str
    topic: str
    """The label; it appears in the first post of each side and nowhere else in the organisation."""
    person_posts: tuple[tuple[str | None, str], ...]
    expert_posts: tuple[tuple[str | None, str], ...]
    """``(title, text)`` pairs; both sides write about the same two or three specific topics."""


_INTRODUCTIONS = (
    _IntroSpec(
        "data-science", "finance", "revenue forecasting",
        (
            ("Revenue forecasting with Monte Carlo simulation",
             "We rebuilt the revenue forecasting model for the board pack. Instead of one number, it runs a Monte "
             "Carlo simulation over churn, expansion and new bookings and reports a range. The P10 to P90 band turned "
             "out to be far more useful than the point forecast. Notebook and assumptions are in the repo; happy to "
             "walk anyone through it."),
            (None,
             "TIL that our revenue forecasts are most sensitive to the timing of large renewals, not to new bookings. "
             "Running 10,000 Monte Carlo sims per scenario made that obvious in one chart. Adding a scenario planning "
             "tab so others can play with the assumptions."),
        ),
        (
            ("How Finance does scenario planning for revenue forecasting",
             "Notes on how we build the quarterly revenue forecasting pack. We keep three scenario plans (base, "
             "downside, stretch) and tie each to explicit assumptions on pipeline conversion and renewals. This "
             "quarter we tried a simple Monte Carlo simulation in a spreadsheet to put ranges around the base case. "
             "It worked, but it is slow and fragile; ideas welcome."),
            (None,
             "Status from Finance: the scenario planning cycle for next year starts Monday. Each budget owner gets a "
             "downside and a stretch case, and we will stress-test the revenue forecasts with Monte Carlo simulations "
             "before the board meeting."),
            ("Lessons from our first Monte Carlo revenue model",
             "Three lessons from running Monte Carlo simulations for revenue: correlated assumptions matter more than "
             "the distributions you pick, ranges are easier to discuss than single numbers, and all scenario plans "
             "must share one set of inputs. Our template is in the Finance space."),
        ),
    ),
    _IntroSpec(
        "security", "customer-support", "account takeover",
        (
            ("Account takeover: what we see and how we stop it",
             "Summary of the account takeover attempts we saw this quarter. Most started with credential stuffing, "
             "but the successful ones used social engineering against our own phone support to change the account "
             "email. We now require step-up identity verification before any email or phone change, and we alert on "
             "new-device logins followed by a password reset."),
            (None,
             "Working out loud: we are testing risk-based identity verification for account recovery. Low-risk "
             "requests get a one-time code; high-risk ones need a document check. The goal is fewer account "
             "takeovers without extra friction for genuine customers."),
        ),
        (
            ("Spotting account takeover attempts in support calls",
             "Guide for the support team on account takeover calls. Red flags: the caller knows the email but not "
             "recent orders, asks to change email and phone in one go, or pushes urgency. Follow the identity "
             "verification script every time, even for friendly callers; social engineering works because people "
             "want to help. Escalate anything odd to the fraud queue."),
            (None,
             "TIL that most social-engineering calls come in late on Friday, when queues are long and people are "
             "tired. We now route account recovery calls on Friday afternoons to two senior agents who know the "
             "identity verification steps by heart."),
            (None,
             "Quick update from Customer Support: the new ID verification flow for account recovery halved the ATO "
             "attempts that reach an agent. Next we want better signals to flag account takeovers before the "
             "customer even calls."),
        ),
    ),
    _IntroSpec(
        "platform", "finance", "FinOps",
        (
            ("FinOps in Platform: tagging every resource",
             "We started a FinOps practice in Platform. Every cloud resource now carries cost allocation tags for "
             "team, service and environment, enforced by a policy check at deploy time. Untagged resources are "
             "flagged within a day. Next step is buying reserved instances for the steady database workloads once we "
             "have three months of clean data."),
            (None,
             "Status from Platform: the FinOps dashboard is live. 94 percent of spend is covered by cost allocation "
             "tags, and savings plans now cover the baseline compute. The remaining gap is shared clusters, where we "
             "split costs by namespace."),
        ),
        (
            ("FinOps reviews: how Finance reads the cloud bill",
             "How Finance runs the monthly FinOps reviews. We map spend to budget owners using cost allocation tags "
             "and chase anything untagged. The biggest lever so far was reserved instances: committing for one year "
             "on the baseline saved 28 percent on those workloads. We need better tagging for shared services; ideas "
             "welcome."),
            (None,
             "TIL that the reserved capacity we bought last year is only 70 percent utilised because two services "
             "moved regions. Adding utilisation to the FinOps review so we catch it earlier."),
            (None,
             "Working out loud on the cost allocation model for next year's budget: every team will see its spend "
             "from allocation tags, and shared platform costs get split by usage. Draft for comments on Friday."),
        ),
    ),
    _IntroSpec(
        "design", "customer-support", "customer journey mapping",
        (
            ("Customer journey mapping for returns",
             "We ran a customer journey mapping workshop for returns. The map shows five moments where customers give "
             "up, and three of them line up with the top contact reasons in support. Next we want to bring "
             "voice-of-customer feedback into the map every month instead of once a year."),
            (None,
             "TIL that the journey maps we made last year never mention delivery tracking, yet it is one of the "
             "biggest contact reasons. Planning a voice of the customer review before we redesign the order page."),
        ),
        (
            ("What customers contact us about: the contact reasons report",
             "We rebuilt our contact-reason taxonomy so every ticket gets one primary reason. The top five contact "
             "reasons now cover 61 percent of volume, led by delivery tracking and returns. We share the report "
             "monthly as part of a small voice of the customer programme. Would love to connect it to customer "
             "journey mapping work elsewhere."),
            (None,
             "Status from Customer Support: contact reason codes are now mandatory when closing a ticket, and a "
             "weekly voice-of-customer feedback digest goes to the product leads."),
            (None,
             "Working out loud: tagging a sample of 500 tickets by journey stage to see where contact reasons "
             "cluster. Early sign: most contacts happen in the first hour after checkout."),
        ),
    ),
    _IntroSpec(
        "legal", "data-science", "data anonymisation",
        (
            ("Data anonymisation: when is data really anonymous?",
             "Guidance on data anonymisation under the privacy rules. Removing names is not enough: if a person can "
             "be singled out by combining fields, the data is only pseudonymised and the full rules still apply. For "
             "analytics, aggregate early, drop rare categories and follow the data retention schedules. Techniques "
             "such as differential privacy give a measurable guarantee."),
            (None,
             "Working out loud: we are updating the data retention schedules for customer and employee data. Each "
             "dataset gets an owner, a retention period and a deletion method, and anonymisation counts only where "
             "we can show the re-identification risk is remote."),
        ),
        (
            ("Differential privacy for the usage statistics",
             "We added differential privacy to the published usage statistics. Each count gets calibrated noise so "
             "no single customer can be inferred, and we track the privacy budget per release. It replaces our old "
             "data anonymisation step, which just dropped identifiers and was weaker than it looked."),
            (None,
             "TIL that k-anonymity breaks down quickly on location data: with postcode and age, a third of our "
             "records were unique. Moving those tables to differentially private statistics and shorter data "
             "retention periods."),
            ("Anonymizing datasets for model training",
             "The checklist we use when anonymizing datasets for model training: drop direct identifiers, generalise "
             "dates and postcodes, check how unique the remaining combinations are, and delete raw extracts according "
             "to the retention schedules. Happy to pair with anyone doing the same."),
        ),
    ),
    _IntroSpec(
        "mobile", "design", "dark mode",
        (
            ("Shipping dark mode on iOS and Android",
             "Dark mode is out on both apps. Biggest lessons: never hard-code colours, test every screen with dynamic "
             "type at the largest size, and check images with transparent backgrounds. We also respect the system "
             "reduced motion setting now, which removed two animations that made people dizzy."),
            (None,
             "TIL that Android lets people scale fonts further than Dynamic Type on iOS, so layouts that survive on "
             "an iPhone can still break. Adding large text sizes to our screenshot tests, next to the dark theme."),
        ),
        (
            ("Dark mode and motion guidelines for every component",
             "We published dark mode colour roles and new motion guidelines. Every component now has a dark theme "
             "variant, and animations use three durations with a reduced motion fallback. Next up: dynamic type "
             "scales for headings, so text can grow without breaking layouts."),
            (None,
             "Working out loud on animation guidelines: when should something move, how fast, and what happens with "
             "reduced motion. Draft examples are up; feedback from the app teams very welcome."),
            (None,
             "Status from Design: the dark theme audit found 40 screens with hard-coded colours. We are pairing the "
             "fixes with a Dynamic Type review so large text sizes work everywhere."),
        ),
    ),
    _IntroSpec(
        "people", "data-science", "engagement survey",
        (
            ("Engagement survey results: what we are changing",
             "Results of this year's engagement survey are in: 78 percent response rate, strong scores on team "
             "relationships, weak ones on career growth. We want an attrition analysis to see whether low growth "
             "scores predict people leaving, and a small people analytics dashboard for managers."),
            (None,
             "Working out loud: designing questions for a pulse version of the engagement survey. Keeping it to "
             "eight items so we can compare quarters, and making sure small teams are only reported when nobody can "
             "be identified."),
        ),
        (
            ("Attrition analysis: a survival model for staff turnover",
             "Side project write-up: a survival model for staff turnover using tenure, team moves and manager "
             "changes. A change of manager in the first year doubled the chance of leaving. Happy to help with a "
             "proper attrition analysis on engagement survey data; people analytics is a good fit for these "
             "methods."),
            (None,
             "TIL that free-text survey answers cluster surprisingly well with simple topic models. Tried it on "
             "public survey data: workload and career growth came out as separate themes. Could be handy for people "
             "analytics."),
            (None,
             "Status from Data Science: sharing a notebook template for HR analytics questions such as staff "
             "turnover analysis by tenure band, with small groups suppressed so nobody can be identified."),
        ),
    ),
    _IntroSpec(
        "payments", "legal", "sanctions screening",
        (
            ("Sanctions screening in the payout flow",
             "How sanctions screening works in payouts. Every new beneficiary is checked against the sanctions lists "
             "before the first payout, and again when the lists update overnight. Fuzzy name matching catches "
             "transliterations; a match holds the payout for manual review. Together with KYC checks at sign-up this "
             "covers most of our anti-money laundering duties in the payment flow."),
            (None,
             "Working out loud: reducing false positives in sanctions checks. 96 percent of hits are common names; "
             "adding date of birth and country to the matching should halve manual reviews without weakening AML "
             "monitoring."),
        ),
        (
            ("What anti-money laundering rules require of us",
             "Summary of our anti-money laundering obligations as a payments company: risk-based KYC checks before "
             "accepting a customer, ongoing transaction monitoring, sanctions screening of customers and "
             "beneficiaries, and reporting suspicious activity without tipping off the customer. Records are kept "
             "for five years. Happy to review any flow that touches these."),
            (None,
             "Status from Legal: the updated AML policy is out for comments. The main change is enhanced due "
             "diligence for high-risk countries and a clearer process when sanctions screening produces a possible "
             "match."),
            (None,
             "TIL that sanctions lists can change several times a week, and regulators expect screening against the "
             "new list within a day. Worth checking how often our systems pull the updates."),
        ),
    ),
)  # fmt: skip

# Per-case upper bounds on planted posts, used to keep planted material a small share of the requested posts.
_MAX_POSTS_ALREADY_DONE = 4
_MAX_POSTS_INTRODUCTION = 5 + 3 * 4


# ---------------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------------


def generate_organisation(
    *,
    people: int = 300,
    teams: int = 12,
    posts: int = 3000,
    seed: int = 7,
    end: datetime = datetime(2026, 11, 1, tzinfo=UTC),
    days: int = 365,
) -> SyntheticOrg:
    """A deterministic sample organisation: ``people`` people in ``teams`` teams and exactly ``posts`` posts.

    Posts fall in the ``days`` days before ``end``. The same arguments always give the same organisation.
    """
    _check_sizes(people=people, teams=teams, posts=posts, end=end, days=days)
    builder = _Builder(Random(seed), people=people, teams=teams, end=end.astimezone(UTC), days=days)
    planted = builder.plant(budget=posts // 3)
    builder.fill(posts - builder.post_count)
    return builder.finish(planted)


def write_canonical(org: SyntheticOrg, directory: Path) -> None:
    """Write ``people.jsonl`` and ``posts.jsonl`` into ``directory`` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in (("people.jsonl", org.people), ("posts.jsonl", org.posts)):
        with (directory / name).open("w", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _check_sizes(*, people: int, teams: int, posts: int, end: datetime, days: int) -> None:
    if teams < 2:
        raise SyntheticError(f"expected at least 2 teams, got {teams}; cross-team matches need two teams")
    if people < 3 * teams:
        raise SyntheticError(f"expected at least 3 people per team ({3 * teams} for {teams} teams), got {people}")
    if posts < 0:
        raise SyntheticError(f"expected a non-negative number of posts, got {posts}")
    if days < 30:
        raise SyntheticError(f"expected a window of at least 30 days, got {days}; planted matches span months")
    if end.tzinfo is None:
        raise SyntheticError("expected a timezone-aware end, e.g. datetime(2026, 11, 1, tzinfo=UTC)")


# ---------------------------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Post:
    seq: int
    author: int
    at: datetime
    space: str
    text: str
    title: str | None = None
    co_authors: tuple[int, ...] = ()
    reply_to: int | None = None
    audience: tuple[str, ...] = ()
    mentions: tuple[int, ...] = ()
    explicit_mentions: bool = False


class _Builder:
    """Holds the people and the posts written so far; every random draw goes through one ``Random``."""

    def __init__(self, rng: Random, *, people: int, teams: int, end: datetime, days: int) -> None:
        self.rng = rng
        self.end = end
        self.start = end - timedelta(days=days)
        self.days = days
        self.specs = _team_specs(teams)
        self.team_index = {spec.key: i for i, spec in enumerate(self.specs)}
        self.posts: list[_Post] = []
        self.forbidden: set[int] = set()
        self.sheltered: set[int] = set()
        self.used: set[int] = set()
        self._make_people(people)

    @property
    def post_count(self) -> int:
        return len(self.posts)

    # --- people -------------------------------------------------------------------------------------------------

    def _make_people(self, n: int) -> None:
        rng = self.rng
        sizes = _team_sizes(rng, n, len(self.specs))
        self.n = n
        self.team_of: list[int] = []
        self.rows: list[dict] = []
        self.is_manager: list[bool] = []
        self.members: list[list[int]] = [[] for _ in self.specs]
        taken_handles: set[str] = set()
        full_names: list[str] = []
        numbers = list(range(1, n + 1))
        rng.shuffle(numbers)  # ids carry no hint of the team
        width = max(4, len(str(n)))
        directors: dict[str, int] = {}
        for team, size in enumerate(sizes):
            spec = self.specs[team]
            first_member = len(self.team_of)
            leads = (size - 1) // 9
            for k in range(size):
                i = len(self.team_of)
                first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
                handles = _handles(rng, first, last, taken_handles)
                if k == 0:
                    head = spec.department not in directors
                    title = f"Director of {spec.department}" if head else spec.manager_title
                    manager = None if head else directors[spec.department]
                    directors.setdefault(spec.department, i)
                elif k <= leads:
                    title, manager = f"Lead {rng.choice(spec.roles)}", first_member
                else:
                    level = rng.choices(("Junior ", "", "Senior ", "Staff "), weights=(2, 5, 3, 1))[0]
                    title = level + rng.choice(spec.roles)
                    manager = first_member + 1 + (k - leads - 1) % leads if leads else first_member
                veteran = k == 0 or rng.random() > 0.12
                back = rng.uniform(30, 9 * 365) + self.days if veteran else rng.uniform(30, self.days)
                self.team_of.append(team)
                self.is_manager.append(k <= leads)
                self.members[team].append(i)
                full_names.append(f"{first} {last}")
                self.rows.append(
                    {
                        "id": f"u{numbers[i]:0{width}d}",
                        "name": f"{first} {last}",
                        "email": f"{handles[0]}@example.com",
                        "handles": list(handles),
                        "team": spec.key,
                        "department": spec.department,
                        "title": title,
                        "location": spec.home if rng.random() < 0.6 else rng.choice(_LOCATIONS),
                        "manager": manager,
                        "started_at": _iso((self.end - timedelta(days=back)).replace(hour=9, minute=0, second=0)),
                    }
                )
        for row in self.rows:
            if row["manager"] is not None:
                row["manager"] = self.rows[row["manager"]]["id"]
        counts: dict[str, int] = {}
        for name in full_names:
            counts[name] = counts.get(name, 0) + 1
        self.unique_name = [counts[name] == 1 for name in full_names]
        self.started = [datetime.fromisoformat(row["started_at"]) for row in self.rows]
        self.activity = [rng.lognormvariate(0.0, 0.8) for _ in range(n)]
        self.interests = [self._interests(i) for i in range(n)]
        self.by_topic: dict[str, list[int]] = {}
        for i, topics in enumerate(self.interests):
            for key in topics:
                self.by_topic.setdefault(key, []).append(i)
        self._opt_out(1 if n < 50 else 2)

    def _interests(self, i: int) -> tuple[str, ...]:
        pool = self.specs[self.team_of[i]].topics
        k = min(len(pool), self.rng.randint(3, 5))
        chosen = self.rng.sample(pool, k)
        if self.rng.random() < 0.15:
            chosen.append(self.rng.choice(("okrs", "remote_work", "python", "wellbeing")))
        return tuple(dict.fromkeys(chosen))

    def _opt_out(self, count: int) -> None:
        candidates = [i for i in range(self.n) if not self.is_manager[i]]
        for i in self.rng.sample(candidates, min(count, len(candidates))):
            self.rows[i]["opted_out"] = True
            self.used.add(i)  # an opted-out person never stars in a planted match

    # --- relations ----------------------------------------------------------------------------------------------

    def _pair(self, a: int, b: int) -> int:
        return a * self.n + b if a < b else b * self.n + a

    def allowed(self, a: int, b: int) -> bool:
        """Whether a background interaction between ``a`` and ``b`` keeps every planted case intact."""
        if a == b or self._pair(a, b) in self.forbidden:
            return False
        if self.team_of[a] == self.team_of[b]:
            return True
        return a not in self.sheltered and b not in self.sheltered

    def partner(self, a: int, *, cross: float, team_only: bool = False) -> int | None:
        """Someone ``a`` plausibly interacts with: mostly a teammate, sometimes anyone."""
        rng = self.rng
        for _ in range(6):
            if not team_only and rng.random() < cross:
                b = rng.randrange(self.n)
            else:
                b = rng.choice(self.members[self.team_of[a]])
            if self.allowed(a, b):
                return b
        return None

    def answerer(self, asker: int, topic: str, *, team_only: bool) -> int | None:
        """Who answers a question: often someone interested in the topic, anywhere in the organisation."""
        pool = self.by_topic.get(topic)
        if pool and not team_only and self.rng.random() < 0.55:
            for _ in range(4):
                b = self.rng.choice(pool)
                if self.allowed(asker, b):
                    return b
        return self.partner(asker, cross=0.0)

    def mention(self, i: int) -> str:
        """The way people write a mention in text: ``@handle`` mostly, ``@"Full Name"`` sometimes."""
        row = self.rows[i]
        if self.unique_name[i] and self.rng.random() < 0.3:
            return f'@"{row["name"]}"'
        return "@" + self.rng.choice(row["handles"])

    # --- time -----------------------------------------------------------------------------------------------------

    def when(self, author: int, *, lo: datetime | None = None, hi: datetime | None = None) -> datetime:
        """A working-hours instant in ``[lo, hi]`` after the author started, weekdays far more likely."""
        rng = self.rng
        lo = max(lo or self.start, self.started[author], self.start)
        hi = min(hi or self.end, self.end) - timedelta(hours=1)
        if hi <= lo:
            return lo
        span = (hi - lo).total_seconds()
        at = lo
        for _ in range(4):
            day = (lo + timedelta(seconds=rng.random() * span)).replace(hour=0, minute=0, second=0, microsecond=0)
            at = day + timedelta(seconds=7 * 3600 + int(rng.random() * 11 * 3600))
            if at.weekday() < 5 or rng.random() < 0.15:
                break
        return min(max(at, lo), hi)

    def after(self, at: datetime) -> datetime:
        """When a reply to a post written at ``at`` arrives: minutes to a couple of days later."""
        later = at + timedelta(seconds=300 + int(self.rng.expovariate(1 / 18_000)))
        return min(later, self.end)

    # --- posts --------------------------------------------------------------------------------------------------

    def add(
        self,
        author: int,
        at: datetime,
        space: str,
        text: str,
        *,
        title: str | None = None,
        co_authors: tuple[int, ...] = (),
        reply_to: int | None = None,
        audience: tuple[str, ...] = (),
        mentions: tuple[int, ...] = (),
        explicit_mentions: bool = False,
    ) -> int:
        seq = len(self.posts)
        self.posts.append(
            _Post(seq, author, at, space, text, title, co_authors, reply_to, audience, mentions, explicit_mentions)
        )
        return seq

    def slots(self, author: int, t: str, u: str, m: int | None) -> dict[str, object]:
        rng = self.rng
        return {
            "t": t,
            "T": t[:1].upper() + t[1:],
            "u": u,
            "m": self.mention(m) if m is not None else "",
            "team": self.specs[self.team_of[author]].name,
            "n": rng.randint(2, 9),
            "day": rng.choice(_WEEKDAYS),
        }

    def topics_for(self, author: int) -> tuple[str, str]:
        rng = self.rng
        pool = self.specs[self.team_of[author]].topics
        main = rng.choice(self.interests[author]) if rng.random() < 0.75 else rng.choice(pool)
        second = rng.choice(pool)
        if second == main:
            second = pool[(pool.index(main) + 1) % len(pool)] if main in pool else pool[0]
        return main, second

    def team_space(self, author: int) -> tuple[str, tuple[str, ...]]:
        """The author's team space; now and then its private twin, visible to the team only."""
        key = self.specs[self.team_of[author]].key
        if self.rng.random() < 0.05:
            return f"{key}-private", (f"team:{key}",)
        return key, ()

    # --- planted cases --------------------------------------------------------------------------------------------

    def plant(self, *, budget: int) -> list[tuple[str, int, int, str, str, list[int]]]:
        """Plant the introduction and already-done cases; returns them with internal indices."""
        per_kind = min(8, max(1, self.n // 50))
        per_kind = min(per_kind, budget // (_MAX_POSTS_ALREADY_DONE + _MAX_POSTS_INTRODUCTION))
        planted: list[tuple[str, int, int, str, str, list[int]]] = []
        for spec in _INTRODUCTIONS[:per_kind]:
            case = self._plant_introduction(spec)
            if case is not None:
                planted.append(case)
        for spec in _ALREADY_DONE[:per_kind]:
            case = self._plant_already_done(spec)
            if case is not None:
                planted.append(case)
        return planted

    def _team_of_key(self, key: str, *, avoid: int | None = None) -> int:
        """The team index for a catalogue key; small organisations without that team get a stand-in."""
        team = self.team_index.get(key)
        if team is None:
            team = _ALL_TEAM_KEYS.index(key) % len(self.specs)
        if team == avoid:
            team = (team + 1) % len(self.specs)
        return team

    def _pick(self, team: int, *, before: datetime) -> int | None:
        pool = [i for i in self.members[team] if i not in self.used and self.started[i] < before]
        if not pool:
            return None
        chosen = self.rng.choice(pool)
        self.used.add(chosen)
        return chosen

    def _plant_already_done(self, spec: _AlreadyDoneSpec) -> tuple[str, int, int, str, str, list[int]] | None:
        rng = self.rng
        evidence_at = self.end - timedelta(days=self.days * rng.uniform(0.45, 0.8), hours=rng.uniform(0, 9))
        asked_at = self.end - timedelta(days=self.days * rng.uniform(0.004, 0.05), hours=rng.uniform(1, 9))
        expert_team = self._team_of_key(spec.expert_team)
        asker_team = self._team_of_key(spec.asker_team, avoid=expert_team)
        expert = self._pick(expert_team, before=evidence_at - timedelta(days=1))
        asker = self._pick(asker_team, before=asked_at - timedelta(days=1))
        if expert is None or asker is None:
            return None
        self.forbidden.add(self._pair(asker, expert))
        space = self.specs[expert_team].key
        evidence = [self.add(expert, evidence_at, space, rng.choice(spec.evidence), title=spec.title)]
        if rng.random() < 0.5:
            colleague = self.partner(expert, cross=0.0)
            if colleague is not None and self.started[colleague] < evidence_at:
                thanks = f"{rng.choice(_COMMENT_OPEN)} We'll use this for our own setup."
                self.add(colleague, self.after(evidence_at), space, thanks, reply_to=evidence[0])
        if rng.random() < 0.5:
            follow_at = evidence_at + timedelta(days=rng.uniform(10, 40))
            evidence.append(self.add(expert, follow_at, space, spec.follow_up))
        query = rng.choice(spec.working_on)
        self.add(asker, asked_at, self.specs[asker_team].key, query)
        return ("already_done", asker, expert, spec.topic, query, evidence)

    def _plant_introduction(self, spec: _IntroSpec) -> tuple[str, int, int, str, str, list[int]] | None:
        rng = self.rng
        recent = self.end - timedelta(days=self.days * 0.6)
        person_team = self._team_of_key(spec.person_team)
        expert_team = self._team_of_key(spec.expert_team, avoid=person_team)
        person = self._pick(person_team, before=recent)
        expert = self._pick(expert_team, before=recent)
        if person is None or expert is None:
            return None
        self.sheltered.update((person, expert))
        self.forbidden.add(self._pair(person, expert))
        self._write_about(person, spec.person_posts, after=recent)
        evidence = self._write_about(expert, spec.expert_posts, after=recent)
        third = [t for t in range(len(self.specs)) if t not in (person_team, expert_team)]
        mutual_teams = [person_team, expert_team]
        if third and rng.random() < 0.5:
            mutual_teams.append(rng.choice(third))
        for team in mutual_teams:
            colleague = self._pick(team, before=self.end - timedelta(days=self.days * 0.9))
            if colleague is None:
                continue
            for other in (person, expert):
                self._interact(colleague, other)
        return ("introduction", person, expert, spec.topic, "", evidence)

    def _write_about(self, author: int, posts: tuple[tuple[str | None, str], ...], *, after: datetime) -> list[int]:
        """Public posts by ``author`` on the planted topics, in catalogue order, after ``after``."""
        times = sorted(self.when(author, lo=after) for _ in posts)
        written = []
        for at, (title, text) in zip(times, posts, strict=True):
            space = self.specs[self.team_of[author]].key if self.rng.random() < 0.7 else "working-out-loud"
            written.append(self.add(author, at, space, text, title=title))
        return written

    def _interact(self, colleague: int, other: int) -> None:
        """One planted interaction between a mutual colleague and one side of an introduction."""
        rng = self.rng
        main, second = self.topics_for(colleague)
        t, u = rng.choice(_TOPICS[main]), rng.choice(_TOPICS[second])
        at = self.when(colleague, lo=self.started[other])
        space = self.specs[self.team_of[colleague]].key
        mode = rng.choice(("kudos", "coauthor", "answer"))
        if mode == "kudos":
            _, text = _compose("kudos", rng, self.slots(colleague, t, u, other))
            self.add(colleague, at, space, text, mentions=(other,), explicit_mentions=rng.random() < 0.3)
        elif mode == "coauthor":
            title, text = _compose("doc", rng, self.slots(colleague, t, u, None))
            self.add(colleague, at, space, text, title=title, co_authors=(other,))
        else:
            _, text = _compose("question", rng, self.slots(colleague, t, u, None))
            asked = self.add(colleague, at, "dare-to-ask", text)
            _, answer = _compose("answer", rng, self.slots(other, t, u, None))
            self.add(other, self.after(at), "dare-to-ask", answer, reply_to=asked)

    # --- background -----------------------------------------------------------------------------------------------

    def fill(self, count: int) -> None:
        """Write ``count`` background posts: threads of a root post and its replies."""
        rng = self.rng
        kinds = ("status", "working", "til", "howto", "question", "doc", "kudos", "announce")
        weights = (20, 8, 12, 12, 20, 8, 10, 5)
        authors = iter(rng.choices(range(self.n), weights=self.activity, k=count))
        remaining = count
        while remaining > 0:
            author = next(authors)
            kind = rng.choices(kinds, weights=weights)[0]
            remaining -= self._thread(author, kind, remaining)

    def _thread(self, author: int, kind: str, room: int) -> int:
        """One root post and up to ``room - 1`` replies; returns how many posts were written."""
        rng = self.rng
        main, second = self.topics_for(author)
        t, u = rng.choice(_TOPICS[main]), rng.choice(_TOPICS[second])
        space, audience = self._space_for(author, kind)
        team_only = bool(audience)
        mention = None
        co_authors: tuple[int, ...] = ()
        if kind == "kudos" or (kind in _MENTION_RATE and rng.random() < _MENTION_RATE[kind]):
            mention = self.partner(author, cross=0.15, team_only=team_only)
        if kind == "doc":
            co_authors = self._co_authors(author, team_only=team_only)
            if not team_only and rng.random() < 0.1:
                reviewers = [self.partner(author, cross=0.0) for _ in range(2)]
                people = (author, *co_authors, *(r for r in reviewers if r is not None))
                audience = tuple(dict.fromkeys(self.rows[i]["id"] for i in people))
                mention = None
        if mention is not None and not all(self.allowed(mention, c) for c in co_authors):
            mention = None
        if kind == "kudos" and mention is None:
            kind = "status"
        title, text = _compose(kind, rng, self.slots(author, t, u, mention))
        at = self.when(author, lo=max(self.started[i] for i in (author, *co_authors)))
        root = self.add(
            author,
            at,
            space,
            text,
            title=title,
            co_authors=co_authors,
            audience=audience,
            mentions=(mention,) if mention is not None else (),
            explicit_mentions=rng.random() < 0.3,
        )
        written = 1
        for _ in range(min(room - 1, self._reply_count(kind))):
            if audience and not audience[0].startswith("team:"):
                break  # a draft shared with named people gets its comments elsewhere
            if kind == "question":
                replier = self.answerer(author, main, team_only=team_only)
            else:
                replier = self.partner(author, cross=0.2, team_only=team_only)
            if replier is None or self.started[replier] > at or not all(self.allowed(replier, c) for c in co_authors):
                break
            self._reply(replier, root, kind, t, u, team_only=team_only)
            written += 1
        return written

    def _space_for(self, author: int, kind: str) -> tuple[str, tuple[str, ...]]:
        shared, share = _COMPANY_SPACE_FOR[kind]
        if self.rng.random() < share:
            return shared, ()
        return self.team_space(author)

    def _co_authors(self, author: int, *, team_only: bool) -> tuple[int, ...]:
        chosen: list[int] = []
        for _ in range(self.rng.randint(1, 2)):
            other = self.partner(author, cross=0.2, team_only=team_only)
            if other is not None and other not in chosen and all(self.allowed(other, c) for c in chosen):
                chosen.append(other)
        return tuple(chosen)

    def _reply_count(self, kind: str) -> int:
        rng = self.rng
        if kind == "question":
            return rng.choices((0, 1, 2, 3), weights=(10, 40, 35, 15))[0]
        if kind in ("howto", "doc"):
            return 1 if rng.random() < 0.3 else 0
        return 1 if rng.random() < 0.1 else 0

    def _reply(self, replier: int, root: int, kind: str, t: str, u: str, *, team_only: bool) -> None:
        rng = self.rng
        parent = self.posts[root]
        mention = None
        if kind == "question" and rng.random() < 0.2:
            mention = self.partner(replier, cross=0.1, team_only=team_only)
            if mention is not None and not all(self.allowed(a, mention) for a in (parent.author, *parent.co_authors)):
                mention = None
        reply_kind = "answer" if kind == "question" else "comment"
        _, text = _compose(reply_kind, rng, self.slots(replier, t, u, mention))
        self.add(
            replier,
            self.after(parent.at),
            parent.space,
            text,
            reply_to=root,
            audience=parent.audience,
            mentions=(mention,) if mention is not None else (),
            explicit_mentions=rng.random() < 0.3,
        )

    # --- output ---------------------------------------------------------------------------------------------------

    def finish(self, planted: list[tuple[str, int, int, str, str, list[int]]]) -> SyntheticOrg:
        ordered = sorted(self.posts, key=lambda p: (p.at, p.seq))
        width = max(6, len(str(len(ordered))))
        ids = {post.seq: f"p{rank:0{width}d}" for rank, post in enumerate(ordered, start=1)}
        rows = [self._post_row(post, ids) for post in ordered]
        person_id = [row["id"] for row in self.rows]
        matches = tuple(
            PlantedMatch(kind, person_id[a], person_id[b], topic, query, tuple(ids[s] for s in evidence))
            for kind, a, b, topic, query, evidence in planted
        )
        people = sorted(self.rows, key=lambda row: row["id"])
        return SyntheticOrg(people=people, posts=rows, planted=matches)

    def _post_row(self, post: _Post, ids: dict[int, str]) -> dict:
        pid = ids[post.seq]
        row: dict[str, object] = {
            "id": pid,
            "author": self.rows[post.author]["id"],
            "co_authors": [self.rows[i]["id"] for i in post.co_authors],
            "created_at": _iso(post.at),
            "space": post.space,
            "title": post.title,
            "text": post.text,
            "reply_to": ids[post.reply_to] if post.reply_to is not None else None,
            "url": f"https://intranet.example/posts/{pid}",
        }
        if post.audience:
            row["audience"] = list(post.audience)
        if post.mentions and post.explicit_mentions:
            row["mentions"] = [self.rows[i]["id"] for i in post.mentions]
        return row


_MENTION_RATE = {"status": 0.3, "working": 0.15, "til": 0.15, "doc": 0.1, "question": 0.1}
_COMPANY_SPACE_FOR = {
    "status": ("working-out-loud", 0.4),
    "working": ("working-out-loud", 0.5),
    "til": ("today-i-learned", 0.6),
    "howto": ("working-out-loud", 0.3),
    "question": ("dare-to-ask", 0.5),
    "doc": ("announcements", 0.0),
    "kudos": ("working-out-loud", 0.3),
    "announce": ("announcements", 0.5),
}
_ALL_TEAM_KEYS = [spec.key for spec in _TEAMS]


# ---------------------------------------------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------------------------------------------


def _team_specs(teams: int) -> list[_TeamSpec]:
    """The first ``teams`` catalogue teams; beyond the catalogue, named squads of the same disciplines."""
    specs = list(_TEAMS[:teams])
    for extra in range(teams - len(_TEAMS)):
        base = _TEAMS[extra % len(_TEAMS)]
        round_, squad = divmod(extra // len(_TEAMS), len(_SQUADS))
        name = _SQUADS[squad] + (f" {round_ + 1}" if round_ else "")
        key = f"{base.key}-{name.lower().replace(' ', '-')}"
        specs.append(
            _TeamSpec(
                key,
                f"{base.name} {name}",
                base.department,
                base.topics,
                base.roles,
                f"{base.manager_title} ({name})",
                base.home,
            )
        )
    return specs


def _team_sizes(rng: Random, people: int, teams: int) -> list[int]:
    """At least three per team; the rest shared out unevenly, as real teams are."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(teams)]
    rest = people - 3 * teams
    quotas = [rest * w / sum(weights) for w in weights]
    sizes = [3 + math.floor(q) for q in quotas]
    by_remainder = sorted(range(teams), key=lambda k: quotas[k] - math.floor(quotas[k]), reverse=True)
    for k in by_remainder[: people - sum(sizes)]:
        sizes[k] += 1
    return sizes


def _handles(rng: Random, first: str, last: str, taken: set[str]) -> tuple[str, ...]:
    primary = f"{first}.{last}".lower()
    suffix = 2
    while primary in taken:
        primary = f"{first}.{last}{suffix}".lower()
        suffix += 1
    taken.add(primary)
    short = f"{first[0]}{last}".lower()
    if rng.random() < 0.5 and short not in taken:
        taken.add(short)
        return primary, short
    return (primary,)


def _iso(at: datetime) -> str:
    # isoformat is several times faster than strftime, which matters at 200,000 posts.
    return at.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _one(rng: Random, options: Sequence[str]) -> str:
    return options[int(rng.random() * len(options))]


def _compose(kind: str, rng: Random, slots: dict[str, object]) -> tuple[str | None, str]:
    """A post of ``kind`` from the templates; returns its title (or None) and text."""
    has_mention = bool(slots["m"])
    title: str | None = None
    if kind == "status":
        parts = [_one(rng, _STATUS_OPEN), *rng.sample(_STATUS_BODY, rng.randint(2, 3))]
        if has_mention:
            parts.insert(2, _one(rng, _STATUS_MENTION))
        parts.append(_one(rng, _STATUS_CLOSE))
    elif kind == "working":
        parts = [_one(rng, _WORKING_OPEN), *rng.sample(_WORKING_BODY, rng.randint(2, 3))]
        if has_mention:
            parts.append(_one(rng, _WORKING_MENTION))
    elif kind == "til":
        parts = [_one(rng, _TIL_FACT), _one(rng, _TIL_DETAIL)]
        parts.append(_one(rng, _TIL_MENTION) if has_mention else _one(rng, _TIL_FOLLOW))
    elif kind == "howto":
        title = _one(rng, _HOWTO_TITLE)
        steps = rng.sample(_HOWTO_STEPS, 3)
        parts = [
            _one(rng, _HOWTO_INTRO),
            f"First, {steps[0]}.",
            f"Second, {steps[1]}.",
            f"Finally, {steps[2]}.",
            _one(rng, _HOWTO_GOTCHA),
            _one(rng, _HOWTO_CLOSE),
        ]
    elif kind == "question":
        parts = [_one(rng, _QUESTION_ASK), *rng.sample(_QUESTION_CONTEXT, rng.randint(1, 2))]
        parts.append(_one(rng, _QUESTION_MENTION) if has_mention else _one(rng, _QUESTION_CLOSE))
    elif kind == "answer":
        parts = [_one(rng, _ANSWER_BODY), _one(rng, _ANSWER_DETAIL)]
        parts.append(_one(rng, _ANSWER_MENTION) if has_mention else _one(rng, _ANSWER_FOLLOW))
    elif kind == "comment":
        parts = [_one(rng, _COMMENT_OPEN), _one(rng, _COMMENT_BODY), _one(rng, _COMMENT_DETAIL)]
    elif kind == "doc":
        title = _one(rng, _DOC_TITLE)
        parts = [
            _one(rng, _DOC_OPEN),
            _one(rng, _DOC_BACKGROUND),
            _one(rng, _DOC_OPTIONS),
            _one(rng, _DOC_NEXT),
            _one(rng, _DOC_CLOSE),
        ]
    elif kind == "kudos":
        parts = [_one(rng, _KUDOS), _one(rng, _KUDOS_DETAIL), _one(rng, _KUDOS_FOLLOW)]
    else:
        parts = [_one(rng, _ANNOUNCE), *rng.sample(_ANNOUNCE_FOLLOW, rng.randint(2, 3))]
    text = " ".join(part for part in parts if part).format(**slots)
    return (title.format(**slots) if title else None), text

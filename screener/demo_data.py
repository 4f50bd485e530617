"""A synthetic screening pool modelled on the running example (peer support in drug addiction).

``make demo`` must run without outside data, so this module composes a realistic but
entirely fictional pool of bibliographic records from phrase banks. Included records
(about 3%) describe peer support as a central component of a drug addiction
intervention AND report qualitative evidence from peers, clients or staff. The pool is
full of confounders that share their vocabulary: trials and surveys of peer
interventions, qualitative studies of treatment without peers, peer support for other
conditions, commentaries and protocols, plus background noise. None of the records,
authors, DOIs or PMIDs are real.

Regenerate the shipped files with ``python -m screener.demo_data data/demo``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from screener.errors import ConfigError

__all__ = ["CATEGORIES", "COLUMNS", "make_demo_pool", "write_demo_files"]

COLUMNS = ["record_id", "title", "abstract", "keywords", "authors", "year", "doi", "pmid",
           "journal", "label_included", "label_abstract_screening"]

# category -> (share of the pool, label_included, label_abstract_screening).
# "background" takes whatever the others leave.
CATEGORIES: dict[str, tuple[float, int, int]] = {
    "include": (0.03, 1, 1),
    "borderline": (0.045, 0, 1),          # mixed methods, alcohol-only, peers as one part
    "peer_quantitative": (0.11, 0, 0),    # (a) RCTs, cohorts, surveys of peer interventions
    "qualitative_no_peer": (0.11, 0, 0),  # (b) qualitative studies of treatment, no peers
    "peer_other_condition": (0.11, 0, 0), # (c) peer support in mental health / HIV care
    "peer_non_primary": (0.05, 0, 0),     # (d) commentaries, editorials, protocols, reviews
    "background": (0.0, 0, 0),            # (e) pharmacology, epidemiology, smoking ...
}

# Confounders borrow one background or conclusions sentence from the include bank this often:
# vocabulary is shared; the difference is in what the study did.
CONTAMINATION = 0.5
# Label noise, as in real screening: records whose text reads like the neighbouring class.
INCLUDE_AS_BORDERLINE = 0.12
BORDERLINE_AS_INCLUDE = 0.10

# ---------------------------------------------------------------- phrase banks
# Slots used as {name} in the sentence templates below; one value per record and slot.
SLOTS: dict[str, tuple[str, ...]] = {
    "pwud": ("people who use drugs", "people who use drugs (PWUD)", "people who inject drugs",
             "people with opioid use disorder", "adults with substance use disorder",
             "individuals in recovery from opioid addiction", "women who use methamphetamine",
             "people who use illicit drugs", "clients of opioid agonist treatment",
             "people with a history of injection drug use", "young people who use drugs",
             "people experiencing homelessness who use drugs", "people who smoke crack cocaine",
             "patients with opioid use disorder", "people who use stimulants"),
    "drug": ("drug addiction", "substance use disorder", "opioid use disorder", "illicit drug use",
             "injection drug use", "problematic drug use", "stimulant use disorder",
             "opioid addiction", "drug dependence", "polysubstance use"),
    "peer": ("peer workers", "peer support workers", "peer navigators", "recovery coaches",
             "peer recovery specialists", "peer mentors", "peers with lived experience",
             "certified peer recovery support specialists", "peer outreach workers",
             "people with lived and living experience", "peer educators", "peer advocates",
             "experts by experience", "peer recovery coaches", "peer harm reduction workers"),
    "peerprog": ("a peer-led harm reduction programme", "peer-delivered naloxone distribution",
                 "peer recovery coaching in the emergency department",
                 "a peer navigation programme for people leaving prison",
                 "peer-run overdose response teams", "a peer-driven outreach intervention",
                 "peer support within opioid agonist treatment", "a peer mentoring programme",
                 "peer-led supervised consumption services", "peer recovery support services",
                 "peer-delivered linkage to buprenorphine treatment",
                 "a peer-based syringe services programme", "peer-led drug checking services",
                 "a recovery coach programme in primary care", "peer-facilitated mutual aid groups"),
    "setting": ("a supervised consumption site in Vancouver", "community harm reduction services",
                "an urban emergency department", "a methadone clinic", "recovery community centres",
                "a needle and syringe programme", "rural Appalachia", "a Housing First programme",
                "drug treatment courts", "a residential rehabilitation service",
                "a low-threshold drop-in centre", "an inner-city hospital", "Scottish drug services",
                "community pharmacies", "a prison release programme", "outreach services in Melbourne",
                "a safe injection facility in Montreal", "street-based services in Philadelphia"),
    "qmethod": ("semi-structured interviews", "in-depth interviews", "focus groups",
                "ethnographic fieldwork", "participant observation and interviews",
                "focus group discussions", "qualitative interviews", "photovoice and interviews",
                "narrative interviews", "serial qualitative interviews", "rapid ethnography",
                "key informant interviews"),
    "qanalysis": ("thematic analysis", "reflexive thematic analysis", "grounded theory",
                  "interpretative phenomenological analysis", "framework analysis",
                  "constant comparative analysis", "inductive content analysis",
                  "a constructivist grounded theory approach", "an abductive analysis",
                  "qualitative descriptive analysis"),
    "actors": ("peers, clients and staff", "peer workers and their supervisors",
               "peer workers and service users", "recovery coaches and emergency clinicians",
               "peers and programme managers", "clients and peer navigators",
               "peer staff, clinical staff and participants", "frontline peers and managers"),
    "theme": ("boundary work", "role ambiguity", "experiential knowledge", "trust and credibility",
              "stigma within services", "burnout and vicarious trauma", "tokenism",
              "emotional labour", "precarious employment and low pay", "relational connection",
              "professionalisation of lived experience", "legitimacy and authority",
              "negotiating disclosure", "shared identity", "hope and recovery capital",
              "organisational recognition", "safety and risk", "navigating institutional rules"),
    "n": ("12", "14", "16", "18", "20", "22", "24", "27", "31", "35", "42"),
    "bign": ("148", "212", "306", "412", "587", "644", "903", "1,204", "2,318", "4,871"),
    "qstudy": ("a randomised controlled trial", "a pragmatic randomised trial", "a retrospective cohort study",
               "a cross-sectional survey", "a quasi-experimental study", "a stepped-wedge cluster trial",
               "a prospective cohort study", "a secondary analysis of trial data", "a pilot randomised trial",
               "an interrupted time series analysis", "a propensity-matched cohort study"),
    "outcome": ("treatment retention at 6 months", "opioid-positive urine tests",
                "naloxone carriage", "non-fatal overdose", "initiation of buprenorphine",
                "days of abstinence", "linkage to treatment within 30 days",
                "emergency department revisits", "self-reported drug use",
                "recovery capital scores", "hepatitis C testing uptake", "quality of life"),
    "effect": ("odds ratio 1.84, 95% CI 1.21-2.79", "hazard ratio 0.72, 95% CI 0.55-0.94",
               "risk difference 8.1 percentage points", "adjusted odds ratio 1.32, 95% CI 0.94-1.86",
               "incidence rate ratio 0.81, 95% CI 0.66-0.99", "p = 0.03", "p = 0.41",
               "mean difference 4.2 days, 95% CI 1.1-7.3"),
    "treatment": ("opioid agonist treatment", "methadone maintenance treatment",
                  "buprenorphine treatment", "residential rehabilitation", "drug treatment services",
                  "injectable opioid agonist treatment", "contingency management",
                  "harm reduction services", "supervised consumption services",
                  "outpatient addiction care", "heroin-assisted treatment", "detoxification services"),
    "qpart": ("clients", "patients", "service users", "clinicians", "nurses", "pharmacists",
              "case managers", "service providers", "family members", "counsellors"),
    "bgtopic": ("buprenorphine pharmacokinetics", "fentanyl potency and overdose risk",
                "intranasal naloxone bioavailability", "trends in overdose deaths",
                "prevalence of cannabis use among adolescents", "varenicline for smoking cessation",
                "alcohol brief interventions in primary care", "hepatitis C treatment uptake",
                "prescription drug monitoring programmes", "neonatal abstinence syndrome",
                "e-cigarette use and smoking cessation", "methamphetamine-related psychosis",
                "mu-opioid receptor signalling", "drug policy decriminalisation in Portugal",
                "benzodiazepine co-prescribing", "alcohol minimum unit pricing",
                "homelessness and mortality", "xylazine adulteration of the drug supply",
                "cocaine use disorder pharmacotherapy", "tobacco control policies"),
    "alcohol": ("alcohol use disorder", "problem drinking", "alcohol dependence"),
    "year": ("2008", "2011", "2013", "2015", "2016", "2017", "2018", "2019", "2020", "2021", "2022"),
}

# Sentence templates per category and abstract section.
_GENERIC = {
    "background": ("Drug-related harms remain a major public health problem.",
                   "Services increasingly seek to involve people with lived experience.",
                   "Engagement in care is often low among marginalised groups."),
    "methods": ("Data were collected between {year} and the following year.",
                "Ethical approval was obtained from a university research ethics board.",
                "Participants received a gift card for their time.",
                "The study was conducted in {setting}.",
                "Participants were recruited through community organisations and clinics.",
                "Written informed consent was obtained from all participants."),
    "results": ("Findings were broadly consistent across sites.",
                "Several differences emerged between urban and rural services.",
                "Participants emphasised the importance of trust.",
                "Experiences differed by gender and housing status."),
    "conclusions": ("Implications for policy and practice are discussed.",
                    "Further research is needed in diverse settings."),
}

_PEER_BG = ("Peer support is increasingly embedded in responses to {drug}.",
            "{peer} draw on their lived experience of {drug} to engage {pwud}.",
            "Little is known about how {peerprog} works in everyday practice.",
            "Peer-delivered services are promoted as a way to reach {pwud} who avoid formal care.",
            "Recovery coaches and peer navigators are now common in addiction services.")
_QUAL_METHODS = ("We conducted {qmethod} with {n} {actors} at {setting}.",
                 "Transcripts were analysed using {qanalysis}.",
                 "{n} participants took part in {qmethod}, analysed with {qanalysis}.",
                 "Data were generated through {qmethod} and analysed using {qanalysis}.")
_QUAL_RESULTS = ("Three themes were identified: {theme}, {theme2} and {theme3}.",
                 "Participants described {theme} and {theme2} as central to their work.",
                 "Themes included {theme} and {theme2}.",
                 "Accounts highlighted {theme}, shaped by {theme2}.")

TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "include": {
        "title": ("Experiences of {peer} in {peerprog}: a qualitative study",
                  "\"We've been there\": {peer} and {pwud} in {setting}",
                  "Negotiating {theme} in peer work with {pwud}: an ethnographic study",
                  "{theme}: perspectives of {actors} on {peerprog}",
                  "A qualitative study of {peerprog} for {pwud}",
                  "Lived experience at work: {peer} in {setting}",
                  "Understanding {peerprog}: interviews with {actors}"),
        "background": _PEER_BG + ("We explored how {actors} experience {peerprog}.",
                                  "This study examined the perspectives of {actors} on {peerprog}."),
        "methods": _QUAL_METHODS + ("We carried out {qmethod} with {peer} and {pwud} in {setting}.",),
        "results": _QUAL_RESULTS + ("{peer} described stretching organisational boundaries to meet clients' needs.",
                                    "Clients valued {peer} for {theme}.",
                                    "Peers reported {theme} alongside {theme2}."),
        "conclusions": ("Peer work in {drug} services requires organisational support and recognition.",
                        "Services should value experiential knowledge and address {theme}.",
                        "Findings inform the implementation of {peerprog}.",
                        "Supporting {peer} is essential to sustain peer-delivered harm reduction."),
    },
    "peer_quantitative": {
        "title": ("Effect of {peerprog} on {outcome}: {qstudy}",
                  "{peer} and {outcome} among {pwud}: {qstudy}",
                  "Peer recovery support and {outcome} in {setting}",
                  "Predictors of engagement with {peer} among {pwud}",
                  "Cost-effectiveness of {peerprog}",
                  "A survey of {peer} working in {setting}",
                  "Experiences of {peer} in {peerprog}: a national survey",
                  "{theme} among {peer}: {qstudy}"),
        "background": _PEER_BG + ("Evidence on the effectiveness of peer interventions remains limited.",),
        "methods": ("We conducted {qstudy} of {peerprog} among {bign} {pwud}.",
                    "The primary outcome was {outcome}.",
                    "Participants were randomised to {peerprog} or usual care.",
                    "We surveyed {bign} {peer} using structured interviews and a self-administered questionnaire.",
                    "Multivariable logistic regression was used to estimate associations.",
                    "Data came from electronic health records in {setting}.",
                    "Open-ended survey responses were coded thematically."),
        "results": ("{peerprog} was associated with {outcome} ({effect}).",
                    "There was no significant difference in {outcome} ({effect2}).",
                    "Participants who met with {peer} had higher {outcome} ({effect}).",
                    "Most respondents reported high job satisfaction but low pay.",
                    "Free-text comments praised the {peer}.",
                    "Respondents rated {theme} and {theme2} as the main challenges of peer work."),
        "conclusions": ("{peerprog} may improve {outcome} among {pwud}.",
                        "Larger trials of peer support in {drug} are needed.",
                        "Peer recovery support should be integrated into {treatment}."),
    },
    "qualitative_no_peer": {
        "title": ("Experiences of {treatment} among {pwud}: a qualitative study",
                  "\"It's a trap\": {pwud} on {treatment} in {setting}",
                  "Stigma and {treatment}: perspectives of {qpart} and {pwud}",
                  "Barriers to {treatment} for {pwud}: {qmethod}",
                  "An ethnography of {treatment} in {setting}",
                  "Clinicians' views of {treatment}: a qualitative study",
                  "{theme}: experiences of {pwud} in {treatment}"),
        "background": ("{pwud} face many barriers to {treatment}.",
                       "Little is known about how {pwud} experience {treatment}.",
                       "We explored how {qpart} and {pwud} experience {treatment}.",
                       "Stigma shapes access to care for {drug}."),
        "methods": ("We conducted {qmethod} with {n} {pwud} and {qpart} at {setting}.",
                    "Transcripts were analysed using {qanalysis}.",
                    "We carried out {qmethod} with {n} {qpart} working in {treatment}.",
                    "A community advisory board of {pwud} guided recruitment.",
                    "Interviews were conducted by a researcher with lived experience of drug use.",
                    "Data were generated through {qmethod} and analysed using {qanalysis}."),
        "results": _QUAL_RESULTS + ("Participants described {treatment} as both a lifeline and a form of control.",
                                    "Clients valued trust and continuity with {qpart}.",
                                    "Some participants mentioned mutual aid groups such as Narcotics Anonymous.",
                                    "Participants valued staff with lived experience of drug use.",
                                    "Informal peer networks were an important source of information about {treatment}."),
        "conclusions": ("Services should reduce stigma and make {treatment} more flexible.",
                        "Findings inform person-centred {treatment} for {pwud}.",
                        "Policy should address structural barriers to {treatment}."),
    },
    "peer_other_condition": {
        "title": ("Peer support for {otherpop}: a qualitative study",
                  "Experiences of peer workers in {othersetting}",
                  "Effect of peer support on outcomes in {condition}: {qstudy}",
                  "Lived experience and peer work in {othersetting}: {qmethod}",
                  "Peer navigators for {otherpop} in {othersetting}",
                  "Peer-led groups for {condition}: perspectives of peers and staff"),
        "background": ("Peer support is increasingly used in care for {condition}.",
                       "Peer workers draw on lived experience of {condition} to support {otherpop}.",
                       "Peer navigators may improve engagement of {otherpop} in care.",
                       "Little is known about peer-led support in {othersetting}.",
                       "Many {otherpop} also have histories of substance use."),
        "methods": ("We conducted {qmethod} with {n} peer workers and {otherpop} in {othersetting}.",
                    "Transcripts were analysed using {qanalysis}.",
                    "We conducted {qstudy} of peer support among {bign} {otherpop}.",
                    "Substance use was recorded as a secondary outcome.",
                    "Data were analysed using {qanalysis}."),
        "results": _QUAL_RESULTS + ("Peer support was associated with improved outcomes ({effect}).",
                                    "Peer workers reported {theme} and role ambiguity within teams.",
                                    "Peers' shared experience of {condition} built trust."),
        "conclusions": ("Peer support is a promising addition to care for {condition}.",
                        "Organisations should clarify the role of peer workers in {othersetting}.",
                        "Peer workers need supervision and recognition to sustain their role."),
    },
    "peer_non_primary": {
        "title": ("Peer recovery support in addiction care: time to pay peers fairly",
                  "The promise and pitfalls of {peerprog}",
                  "{peerprog} for {pwud}: protocol for {qstudy}",
                  "Peer support in {drug} interventions: a systematic review",
                  "Lived experience is not a job description: an editorial",
                  "Protocol for a mixed-methods evaluation of {peerprog}",
                  "Peer workers in harm reduction: a scoping review",
                  "Experiences of {peer} in addiction services: a qualitative evidence synthesis",
                  "Peer work with {pwud}: a meta-synthesis of qualitative studies"),
        "background": ("This commentary reflects on the rapid growth of {peerprog}.",
                       "In this editorial we argue that {peer} are undervalued in {drug} services.",
                       "We describe the protocol of {qstudy} of {peerprog}.",
                       "We systematically reviewed studies of peer support in {drug} interventions.",
                       "This scoping review maps the literature on {peer}."),
        "methods": ("We searched five databases for studies of {peer}.",
                    "{bign} {pwud} will be recruited and randomised to {peerprog} or usual care.",
                    "A nested process evaluation will use {qmethod} with {actors}.",
                    "We draw on policy documents and our experience in {setting}.",
                    "We synthesised {n} qualitative studies using thematic synthesis."),
        "results": ("We identified {n} studies, most of them observational.",
                    "The trial will report {outcome}.",
                    "We discuss {theme} and {theme2}."),
        "conclusions": ("Peer work deserves fair pay, supervision and career pathways.",
                        "Rigorous evaluation of {peerprog} is needed.",
                        "Results will inform the scale-up of peer recovery support."),
    },
    "background": {
        "title": ("{bgtopic}: {qstudy}", "Trends in {bgtopic}", "{bgtopic} among {otherpop}",
                  "A review of {bgtopic}", "{bgtopic} and {drug} in {setting}",
                  "Association of {bgtopic} with {outcome}"),
        "background": ("{bgtopic} is an important public health concern.",
                       "The burden of {drug} continues to grow.",
                       "Evidence on {bgtopic} is mixed.",
                       "Homelessness, HIV and mental health problems often co-occur with {drug}."),
        "methods": ("We conducted {qstudy} of {bign} participants.",
                    "We analysed national surveillance data from {year} onwards.",
                    "We used multivariable regression to examine {bgtopic}.",
                    "Plasma concentrations were measured at baseline and 24 hours."),
        "results": ("{bgtopic} was associated with {outcome} ({effect}).",
                    "Rates increased markedly over the study period.",
                    "No differences were found between groups ({effect2})."),
        "conclusions": ("These findings have implications for {treatment}.",
                        "Further research on {bgtopic} is needed.",
                        "Policy makers should consider {bgtopic} when planning services."),
    },
}

# Borderline records a title/abstract screener keeps: mixed methods, alcohol only, peers as
# one component among many. They reuse the include templates with one twist each.
_BORDERLINE_TWISTS = {
    "mixed_methods": ("A mixed-methods evaluation of {peerprog}",
                      "We used a convergent mixed-methods design: a survey of {bign} clients and {qmethod} with {n} {peer}.",
                      "Survey results showed {outcome} improved ({effect})."),
    "alcohol": ("Peer support in recovery from {alcohol}: a qualitative study",
                "We conducted {qmethod} with {n} peer mentors and clients of an {alcohol} service.",
                "Participants in recovery from {alcohol} described {theme}."),
    "component": ("Integrated care for {pwud} in {setting}: a qualitative evaluation",
                  "The model combined case management, housing support, nursing and a peer worker; we conducted {qmethod} with {n} staff.",
                  "Staff described {theme}; the peer role was mentioned briefly."),
}

KEYWORDS: dict[str, tuple[str, ...]] = {
    "include": ("peer support", "peer workers", "lived experience", "qualitative research", "harm reduction",
                "recovery", "people who use drugs", "opioid use disorder", "thematic analysis",
                "recovery coaching", "peer navigation", "ethnography", "substance use disorder"),
    "peer_quantitative": ("peer support", "randomized controlled trial", "opioid use disorder", "naloxone",
                          "treatment retention", "recovery coaching", "harm reduction", "cohort study",
                          "buprenorphine", "survey"),
    "qualitative_no_peer": ("qualitative research", "stigma", "methadone", "opioid agonist treatment",
                            "people who use drugs", "interviews", "harm reduction", "treatment access"),
    "peer_other_condition": ("peer support", "mental health", "HIV", "lived experience", "peer workers",
                             "recovery", "serious mental illness", "antiretroviral therapy", "qualitative"),
    "peer_non_primary": ("peer support", "commentary", "editorial", "study protocol", "systematic review",
                         "peer recovery support services", "workforce", "harm reduction"),
    "background": ("opioids", "epidemiology", "smoking cessation", "alcohol", "overdose", "pharmacology",
                   "homelessness", "HIV", "hepatitis C", "drug policy", "cannabis", "methadone"),
}
KEYWORDS["borderline"] = KEYWORDS["include"] + ("mixed methods", "alcohol use disorder", "integrated care")

JOURNALS: dict[str, tuple[str, ...]] = {
    "addiction": ("Journal of Substance Abuse Treatment", "Harm Reduction Journal", "Addiction",
                  "International Journal of Drug Policy", "Drug and Alcohol Dependence",
                  "Drug and Alcohol Review", "Substance Abuse", "Addiction Science & Clinical Practice",
                  "Journal of Addictive Diseases", "Substance Use & Misuse", "Contemporary Drug Problems",
                  "Alcoholism Treatment Quarterly", "Journal of Psychoactive Drugs"),
    "social": ("Qualitative Health Research", "Social Science & Medicine", "BMC Health Services Research",
               "Health & Social Care in the Community", "Journal of Social Work Practice in the Addictions"),
    "mental": ("Psychiatric Rehabilitation Journal", "Community Mental Health Journal",
               "Journal of Mental Health", "Psychiatric Services", "AIDS Care", "AIDS and Behavior",
               "Journal of the International AIDS Society"),
    "general": ("BMJ Open", "PLoS One", "American Journal of Public Health", "The Lancet Public Health",
                "Nicotine & Tobacco Research", "Clinical Pharmacokinetics", "Addictive Behaviors"),
}
_JOURNAL_MIX = {"include": ("addiction", "addiction", "social"), "borderline": ("addiction", "social"),
                "peer_quantitative": ("addiction", "addiction", "general"),
                "qualitative_no_peer": ("addiction", "social"), "peer_other_condition": ("mental", "mental", "social"),
                "peer_non_primary": ("addiction", "general"), "background": ("general", "addiction", "mental")}

SURNAMES = ("Smith", "Nguyen", "Garcia", "Okafor", "Müller", "Kowalski", "Chen", "Patel", "O'Brien", "Haddad",
            "Johansson", "Tremblay", "Moreau", "Rossi", "Kim", "Mensah", "Silva", "Novak", "Walker", "Ahmed",
            "Fraser", "McLean", "Bouchard", "Yamamoto", "Jensen", "Levesque", "Oduya", "Torres", "Wright",
            "Dubois", "Khan", "Murphy", "Lindqvist", "Santos", "Horvath", "Campbell", "Boyd", "Zhang", "Reyes")
GIVEN = ("Anna", "James", "Mei", "Chidi", "Sarah", "Luc", "Priya", "Tom", "Aisha", "Ingrid", "Marc",
         "Hana", "Kofi", "Elena", "David", "Fatima", "Ryan", "Nadia", "Oliver", "Grace", "Sam", "Julia")


# Peer support for another condition: (condition, population, setting) drawn together.
OTHER_CONDITIONS = (
    ("serious mental illness", "adults with serious mental illness", "community mental health teams"),
    ("depression", "older adults with depression", "primary care practices"),
    ("first-episode psychosis", "young people with psychosis", "an early intervention in psychosis service"),
    ("perinatal depression", "mothers with perinatal depression", "antenatal clinics"),
    ("HIV", "people living with HIV", "HIV clinics in Kenya"),
    ("HIV", "adolescents living with HIV", "South African HIV clinics"),
    ("HIV prevention", "men who have sex with men", "sexual health clinics"),
    ("type 2 diabetes", "people with type 2 diabetes", "primary care practices"),
    ("post-traumatic stress disorder", "veterans", "a veterans affairs medical centre"),
    ("bipolar disorder", "adults with bipolar disorder", "recovery colleges"),
    ("mental health crises", "people in mental health crisis", "a psychiatric inpatient ward"),
    ("breast cancer", "cancer survivors", "cancer centres"),
    ("eating disorders", "young women with eating disorders", "online support forums"),
    ("co-occurring mental illness", "adults with serious mental illness and co-occurring substance use",
     "community mental health teams"),
    ("HIV", "people who inject drugs living with HIV", "HIV clinics in Vancouver"),
    ("hepatitis C", "people with hepatitis C", "community liver clinics"),
)
_LINKED = {"condition": 0, "otherpop": 1, "othersetting": 2}


class _Slots(dict):
    """A record's slot values: drawn on first use, then reused so an abstract stays coherent."""

    def __init__(self, rng: np.random.Generator) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: str) -> str:
        if key in _LINKED:
            if "_other" not in self:
                self["_other"] = OTHER_CONDITIONS[int(self.rng.integers(len(OTHER_CONDITIONS)))]
            return self["_other"][_LINKED[key]]
        bank = SLOTS[key.rstrip("0123456789")]
        value = bank[int(self.rng.integers(len(bank)))]
        self[key] = value
        return value


_NEAR = ("peer_quantitative", "qualitative_no_peer", "peer_other_condition", "peer_non_primary")


def _pick(rng: np.random.Generator, bank: tuple[str, ...]) -> str:
    return bank[int(rng.integers(len(bank)))]


def _sample(rng: np.random.Generator, bank: tuple[str, ...], k: int) -> list[str]:
    return [bank[i] for i in sorted(rng.choice(len(bank), size=min(k, len(bank)), replace=False))]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:]


def _abstract(rng: np.random.Generator, category: str, slots: _Slots, twist: tuple[str, ...] | None,
              length: str) -> str:
    """Background/Methods/Results/Conclusions from the category's bank (sometimes unstructured)."""
    bank = TEMPLATES["include" if category == "borderline" else category]
    if length == "short":
        n_per = (1, 1, 1, 1)
    else:
        n_per = (int(rng.integers(2, 5)), int(rng.integers(4, 7)), int(rng.integers(3, 6)), int(rng.integers(1, 4)))
    sections = []
    for (name, k) in zip(("background", "methods", "results", "conclusions"), n_per):
        pool = bank[name] + _GENERIC.get(name, ())
        sentences = [_sentence(t.format_map(slots)) for t in _sample(rng, pool, k)]
        if (category in _NEAR and name in ("background", "conclusions")
                and rng.random() < CONTAMINATION):
            sentences[-1] = _sentence(_pick(rng, TEMPLATES["include"][name]).format_map(slots))
        if twist is not None and name == "methods":
            sentences[0] = _sentence(twist[1].format_map(slots))
        if twist is not None and name == "results":
            sentences.insert(0, _sentence(twist[2].format_map(slots)))
        sections.append((name, " ".join(sentences)))
    if rng.random() < 0.3:
        return " ".join(text for _, text in sections)
    heads = {"background": ("Background", "Introduction", "Aims"), "methods": ("Methods", "Design", "Methods"),
             "results": ("Results", "Findings", "Results"), "conclusions": ("Conclusions", "Conclusion", "Implications")}
    style = int(rng.integers(3))
    return " ".join(f"{heads[name][style]}: {text}" for name, text in sections)


def _record(rng: np.random.Generator, category: str) -> dict:
    """One synthetic record of the given category (labels are set by the caller)."""
    slots = _Slots(rng)
    twist = None
    # Label noise: some includes read like borderline records, some borderline like includes.
    if (category == "borderline" and rng.random() > BORDERLINE_AS_INCLUDE) or (
            category == "include" and rng.random() < INCLUDE_AS_BORDERLINE):
        twist = _BORDERLINE_TWISTS[_pick(rng, tuple(_BORDERLINE_TWISTS))]
    title_bank = TEMPLATES["include" if category == "borderline" else category]["title"]
    title = _sentence((twist[0] if twist else _pick(rng, title_bank)).format_map(slots))
    u = rng.random()
    abstract = "" if u < 0.05 else _abstract(rng, category, slots, twist, "short" if u < 0.15 else "long")
    early = category in ("background", "qualitative_no_peer") and rng.random() < 0.4
    year = int(rng.integers(1995, 2008)) if early else int(min(2025, 2026 - rng.geometric(0.12)))
    year = max(year, 1995)
    authors = "; ".join(f"{_pick(rng, SURNAMES)}, {_pick(rng, GIVEN)}" + (f" {chr(65 + int(rng.integers(26)))}."
                        if rng.random() < 0.5 else "") for _ in range(int(rng.integers(1, 7))))
    journal = _pick(rng, JOURNALS[_pick(rng, _JOURNAL_MIX[category])])
    keywords = "; ".join(_sample(rng, KEYWORDS[category], int(rng.integers(3, 6))))
    return {"title": title, "abstract": abstract, "keywords": keywords, "authors": authors,
            "year": year, "journal": journal}


def _make_pool(n_records: int, rng: np.random.Generator, *, first_id: int = 1) -> pd.DataFrame:
    counts = {c: int(round(share * n_records)) for c, (share, _, _) in CATEGORIES.items()}
    counts["background"] = n_records - sum(v for c, v in counts.items() if c != "background")
    categories = np.array([c for c, k in counts.items() for _ in range(k)], dtype=object)
    rng.shuffle(categories)
    rows = [_record(rng, c) for c in categories]
    df = pd.DataFrame(rows)
    ids = np.arange(first_id, first_id + n_records)
    df.insert(0, "record_id", [str(i) for i in ids])
    df["doi"] = [f"10.9999/demo.{10000 + i}" for i in ids]
    has_pmid = rng.random(n_records) < 0.72
    jitter = rng.integers(0, 997, n_records)
    df["pmid"] = [f"{24000000 + 1000 * i + j}" if h else "" for i, j, h in zip(ids, jitter, has_pmid)]
    df["label_included"] = [CATEGORIES[c][1] for c in categories]
    df["label_abstract_screening"] = [CATEGORIES[c][2] for c in categories]
    # A title-only peer record cannot be ruled out from the title: screeners keep some.
    keep = (np.isin(categories, ["peer_quantitative", "peer_non_primary"]) & (df["abstract"] == "")
            & (rng.random(n_records) < 0.6))
    df.loc[keep, "label_abstract_screening"] = 1
    df["category"] = categories
    return df[[*COLUMNS, "category"]]


def make_demo_pool(n_records: int = 1500, *, random_state: int = 0,
                   with_category: bool = False) -> pd.DataFrame:
    """A synthetic labelled screening pool modelled on the peer-support review.

    ``with_category`` adds the generating class (``include``, ``borderline``, the four
    confounder classes and ``background``) for inspecting what a ranker pushes down.
    """
    if not isinstance(n_records, (int, np.integer)) or n_records < 1:
        raise ConfigError(f"n_records must be a positive integer, got {n_records!r}")
    df = _make_pool(int(n_records), np.random.default_rng(random_state))
    return df if with_category else df.drop(columns="category")


# ---------------------------------------------------------------- search exports
def _title_variant(rng: np.random.Generator, title: str) -> str:
    """How the same title drifts between databases: case, punctuation, dashes."""
    u = rng.random()
    if u < 0.08:
        return title.upper()
    if u < 0.16:
        return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in title.split(" "))
    if u < 0.22:
        return title.replace(": ", " - ").replace('"', "")
    return title


def _authors(rec: dict) -> list[tuple[str, str]]:
    return [tuple(a.split(", ", 1)) for a in rec["authors"].split("; ")]


def _ris_entry(rec: dict, title: str, doi: str, accession: str) -> str:
    lines = ["TY  - JOUR", f"TI  - {title}"]
    lines += [f"AU  - {last}, {first}" for last, first in _authors(rec)]
    lines += [f"PY  - {rec['year']}", f"JO  - {rec['journal']}"]
    if rec["abstract"]:
        lines.append(f"AB  - {rec['abstract']}")
    if doi:
        lines.append(f"DO  - {doi}")
    lines += [f"KW  - {k}" for k in rec["keywords"].split("; ") if k]
    lines += [f"AN  - {accession}", "ER  - "]
    return "\n".join(lines) + "\n"


def _nbib_field(tag: str, value: str) -> list[str]:
    """One MEDLINE field: tag padded to four characters, continuation lines indented six spaces."""
    wrapped = textwrap.wrap(value, width=82) or [""]
    return [f"{tag:<4}- {wrapped[0]}", *("      " + w for w in wrapped[1:])]


def _nbib_entry(rec: dict, title: str, doi: str) -> str:
    lines = [f"PMID- {rec['pmid']}", "OWN - NLM", "STAT- MEDLINE", f"DP  - {rec['year']}"]
    lines += _nbib_field("TI", title if title.endswith((".", "?")) else title + ".")
    if rec["abstract"]:
        abstract = rec["abstract"]
        for head in ("Background", "Introduction", "Aims", "Methods", "Design", "Results", "Findings",
                     "Conclusions", "Conclusion", "Implications"):
            abstract = abstract.replace(f"{head}: ", f"{head.upper()}: ")
        lines += _nbib_field("AB", abstract)
    for last, first in _authors(rec):
        initials = "".join(p[0] for p in first.replace(".", "").split())
        lines += [f"FAU - {last}, {first.replace('.', '')}", f"AU  - {last} {initials}"]
    lines += ["LA  - eng", "PT  - Journal Article", f"JT  - {rec['journal']}"]
    if doi:
        lines.append(f"LID - {doi} [doi]")
    lines += [f"OT  - {k}" for k in rec["keywords"].split("; ") if k]
    return "\n".join(lines) + "\n"


def _wos_row(rec: dict, title: str, doi: str) -> dict:
    authors = _authors(rec)
    return {"Publication Type": "J",
            "Authors": "; ".join(f"{last}, {''.join(p[0] for p in first.split())}" for last, first in authors),
            "Author Full Names": "; ".join(f"{last}, {first}" for last, first in authors),
            "Article Title": title, "Source Title": rec["journal"].upper(),
            "Author Keywords": rec["keywords"], "Abstract": rec["abstract"],
            "Publication Year": rec["year"], "DOI": doi, "Pubmed Id": rec["pmid"],
            "UT (Unique WOS ID)": f"WOS:9999{int(rec['record_id']):011d}"}


def _memberships(pool: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Which search found which record: ~50% each, overlapping, every record found at least once."""
    n = len(pool)
    found = {"ebscohost": rng.random(n) < 0.45,
             "pubmed": (pool["pmid"].to_numpy() != "") & (rng.random(n) < 0.65),
             "webofscience": rng.random(n) < 0.45}
    lost = ~(found["ebscohost"] | found["pubmed"] | found["webofscience"])
    to_wos = rng.random(n) < 0.5
    found["ebscohost"] |= lost & ~to_wos
    found["webofscience"] |= lost & to_wos
    return found


def _export_rows(pool: pd.DataFrame, mask: np.ndarray, rng: np.random.Generator, *,
                 p_no_doi: float, p_dup: float = 0.0) -> list[tuple[dict, str, str, bool]]:
    """(record, title as exported, DOI as exported, is an in-file duplicate) in export order."""
    idx = np.flatnonzero(mask)
    dups = idx[rng.random(len(idx)) < p_dup]
    idx = np.concatenate([idx, dups])
    is_dup = np.arange(len(idx)) >= len(idx) - len(dups)
    records = pool.to_dict("records")
    rows = []
    for j in rng.permutation(len(idx)):
        rec = records[int(idx[j])]
        doi = "" if rng.random() < p_no_doi else rec["doi"]
        rows.append((rec, _title_variant(rng, rec["title"]), doi, bool(is_dup[j])))
    return rows


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_demo_files(out_dir: Path, *, n_records: int = 1500, n_update: int = 200,
                     random_state: int = 0) -> dict[str, Path]:
    """Write the labelled demo pool, three overlapping unlabelled search exports and an update search.

    Returns the written paths by name: ``pool`` (peer_support_demo.csv), ``ebscohost``
    (RIS), ``pubmed`` (MEDLINE .nbib), ``webofscience`` (CSV), ``update`` (RIS of new
    records not in the pool) and ``update_labels`` (their labels, for evaluating a demo).
    The default size keeps the shipped files under 5 MB.
    """
    for name, value in (("n_records", n_records), ("n_update", n_update)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ConfigError(f"{name} must be a positive integer, got {value!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(random_state)
    pool = _make_pool(int(n_records), rng)  # same stream start as make_demo_pool: same records
    update_rng = rng.spawn(1)[0]
    found = _memberships(pool, rng)
    pool = pool.drop(columns="category")
    paths = {"pool": out_dir / "peer_support_demo.csv"}
    pool.to_csv(paths["pool"], index=False, lineterminator="\n", encoding="utf-8")

    # EBSCOhost searches several databases at once; a record found in two of them comes
    # twice, with a different accession number (demo-eb-... and demo-ps-...).
    ebsco = _export_rows(pool, found["ebscohost"], rng, p_no_doi=0.15, p_dup=0.02)
    paths["ebscohost"] = _write_text(out_dir / "ebscohost.ris", "\n".join(
        _ris_entry(r, t, d, f"demo-{'ps' if dup else 'eb'}-{r['record_id']}") for r, t, d, dup in ebsco))
    pubmed = _export_rows(pool, found["pubmed"], rng, p_no_doi=0.10)
    paths["pubmed"] = _write_text(out_dir / "pubmed.nbib", "\n".join(_nbib_entry(r, t, d) for r, t, d, _ in pubmed))
    wos = _export_rows(pool, found["webofscience"], rng, p_no_doi=0.20)
    paths["webofscience"] = out_dir / "webofscience.csv"
    pd.DataFrame([_wos_row(r, t, d) for r, t, d, _ in wos]).to_csv(
        paths["webofscience"], index=False, lineterminator="\n", encoding="utf-8")

    update = _make_pool(int(n_update), update_rng, first_id=int(n_records) + 1)
    update["year"] = 2025  # the update search runs months after the first one
    paths["update"] = _write_text(out_dir / "update_search.ris", "\n".join(
        _ris_entry(r, r["title"], r["doi"], f"demo-eb-{r['record_id']}") for r in update.to_dict("records")))
    paths["update_labels"] = out_dir / "update_search_labels.csv"
    update[["record_id", "doi", "title", "label_included", "label_abstract_screening"]].to_csv(
        paths["update_labels"], index=False, lineterminator="\n", encoding="utf-8")
    return paths


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m screener.demo_data", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("data/demo"))
    parser.add_argument("--n-records", type=int, default=1500)
    parser.add_argument("--n-update", type=int, default=200)
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args()
    for name, path in write_demo_files(args.out_dir, n_records=args.n_records, n_update=args.n_update,
                                       random_state=args.random_state).items():
        print(f"{name:>14}  {path}  {path.stat().st_size / 1e6:.2f} MB")

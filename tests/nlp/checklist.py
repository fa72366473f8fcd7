"""Behavioural tests in the spirit of CheckList (Ribeiro et al., ACL 2020), per language.

Three kinds of test, built from templates written for this suite only (never training data):
- MFT, minimum functionality: a clear statement of a factor must get that factor; a plain
  greeting or thanks must get none.
- INV, invariance: a name, a place, a typo, emoji or a greeting around a clear statement must
  not change the factors found.
- DIR, direction: dismissing a factor ("le loyer, aucun souci") removes it; blaming lost
  customers on a cause keeps the cause and does not add `demand_footfall`.

`python -m tests.nlp.checklist` prints the pass rate of each kind per language.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.taxonomy import LANGS

KINDS = ("MFT", "INV", "DIR")
# Written on 2026-12-07, after the scope rules and the cause rule, by a writer who saw only
# the spec (neither these templates, the rules, the corpus nor the evaluation sets): a check
# that what the suite measures holds beyond its own templates.
FRESH = Path(__file__).with_name("fresh_cases.jsonl")
FRESH_KINDS = ("dismiss", "cause", "demand")

# Clear statements, one difficulty each: what a shopkeeper might say plainly.
CLEAR: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "rent_premises": (
            "Mon propriétaire augmente encore le loyer du magasin.",
            "Le bail commercial arrive à échéance et le bailleur ne veut pas le renouveler.",
            "Impossible de trouver une surface commerciale à un loyer raisonnable.",
            "Le propriétaire refuse de réparer la toiture qui fuit dans la boutique.",
        ),
        "roadworks": (
            "Les travaux devant le magasin bloquent l'entrée depuis des mois.",
            "Le chantier dans la rue cache complètement ma devanture.",
            "Les palissades du chantier de voirie empêchent les clients d'entrer.",
            "Personne ne nous dit quand le chantier du tram va enfin finir.",
        ),
        "mobility_parking": (
            "La commune a supprimé toutes les places de stationnement de la rue.",
            "Le nouveau plan de circulation rend la rue inaccessible en voiture.",
            "Le stationnement est devenu payant partout autour du commerce.",
            "Les camions de livraison ne peuvent plus accéder à la rue piétonne.",
        ),
        "competition": (
            "Les clients achètent tout sur Amazon maintenant.",
            "Un hard discount vient d'ouvrir juste à côté et casse les prix.",
            "Les gens essaient chez moi puis commandent moins cher sur internet.",
            "Les grandes enseignes font des promotions qu'on ne peut pas suivre.",
        ),
        "demand_footfall": (
            "Il y a beaucoup moins de passants dans la rue qu'avant.",
            "Avec le télétravail, les bureaux du quartier sont vides à midi.",
            "Les clients ont moins de pouvoir d'achat, le panier moyen a fondu.",
            "Le chiffre d'affaires baisse chaque mois et je ne sais pas pourquoi.",
        ),
        "admin_tax": (
            "Encore une inspection de l'AFSCA et une pile de formulaires à remplir.",
            "La taxe communale sur les enseignes a doublé cette année.",
            "Les cotisations sociales trimestrielles m'étranglent.",
            "Obtenir une prime régionale est un vrai parcours du combattant administratif.",
        ),
        "costs_cashflow": (
            "Ma facture d'électricité a triplé cette année.",
            "Les grossistes augmentent leurs tarifs tous les mois.",
            "La banque refuse de m'accorder un crédit de trésorerie.",
            "Les frais du terminal de paiement mangent toute ma marge.",
        ),
        "safety_image": (
            "On se fait voler à l'étalage plusieurs fois par semaine.",
            "Des dealers squattent devant la vitrine tous les soirs.",
            "Le trottoir est sale et les sacs poubelles s'entassent partout.",
            "La boutique a été cambriolée pendant la nuit.",
        ),
        "staff": (
            "Impossible de recruter un vendeur, personne ne postule.",
            "Mon employée est malade et je n'ai aucun remplaçant.",
            "Le coût d'un salarié est devenu impayable pour un petit commerce.",
            "Les étudiants que j'engage démissionnent au bout de deux semaines.",
        ),
        "skills_digital": (
            "Je ne sais pas du tout comment créer un site web pour la boutique.",
            "Je n'y connais rien aux réseaux sociaux pour faire ma pub.",
            "Le nouveau logiciel de caisse est bien trop compliqué pour moi.",
            "J'aurais besoin d'une formation pour tenir ma comptabilité.",
        ),
        "isolation_collective": (
            "On est seuls, il n'existe aucune association de commerçants ici.",
            "La commune ne consulte jamais les commerçants avant de décider.",
            "Quand j'écris à la commune, personne ne répond jamais.",
            "Je n'ai personne avec qui partager mes soucis de commerçant.",
        ),
        "workload_health": (
            "Je travaille sept jours sur sept sans jamais prendre de vacances.",
            "Je suis épuisé, je frôle le burn-out.",
            "Avec ces horaires je ne vois plus jamais mes enfants.",
            "J'ai envie de tout arrêter tellement je suis à bout de forces.",
        ),
    },
    "nl": {
        "rent_premises": (
            "Mijn verhuurder verhoogt de huur van de winkel alweer.",
            "Het handelshuurcontract loopt af en de eigenaar wil het niet verlengen.",
            "Het is onmogelijk om een winkelpand te vinden met een betaalbare huur.",
            "De eigenaar weigert het lekkende dak van de zaak te herstellen.",
        ),
        "roadworks": (
            "De wegenwerken voor de winkel blokkeren de ingang al maanden.",
            "De werf in de straat verbergt mijn etalage volledig.",
            "Door de werfhekken geraken de klanten de winkel niet meer in.",
            "Niemand zegt ons wanneer de tramwerken eindelijk gedaan zijn.",
        ),
        "mobility_parking": (
            "De gemeente heeft alle parkeerplaatsen in de straat geschrapt.",
            "Door het nieuwe circulatieplan is de straat met de auto onbereikbaar.",
            "Parkeren is overal rond de winkel betalend geworden.",
            "Leveranciers mogen met hun camion de voetgangerszone niet meer in.",
        ),
        "competition": (
            "De klanten kopen nu alles op Bol.com en Amazon.",
            "Er is net een discounter naast de deur geopend die de prijzen breekt.",
            "Mensen passen bij mij en bestellen het daarna goedkoper online.",
            "De grote ketens doen promoties die wij nooit kunnen volgen.",
        ),
        "demand_footfall": (
            "Er lopen veel minder mensen door de straat dan vroeger.",
            "Met het thuiswerk zijn de kantoren in de buurt 's middags leeg.",
            "De klanten hebben minder koopkracht, ze kopen veel minder per bezoek.",
            "De omzet daalt elke maand en ik weet niet waarom.",
        ),
        "admin_tax": (
            "Weer een controle van het FAVV en een stapel formulieren om in te vullen.",
            "De gemeentebelasting op uithangborden is dit jaar verdubbeld.",
            "De driemaandelijkse sociale bijdragen wurgen mij.",
            "Een premie van het Gewest krijgen is een administratieve lijdensweg.",
        ),
        "costs_cashflow": (
            "Mijn elektriciteitsfactuur is dit jaar verdrievoudigd.",
            "De groothandel verhoogt zijn prijzen elke maand.",
            "De bank weigert mij een kaskrediet te geven.",
            "De kosten van de betaalterminal eten mijn hele marge op.",
        ),
        "safety_image": (
            "Er wordt meerdere keren per week gestolen uit de rekken.",
            "Elke avond hangen er dealers rond voor de etalage.",
            "Het voetpad is vuil en de vuilniszakken stapelen zich overal op.",
            "Er is vannacht ingebroken in de winkel.",
        ),
        "staff": (
            "Ik vind geen enkele verkoper, niemand solliciteert.",
            "Mijn werkneemster is ziek en ik heb geen vervanger.",
            "Een personeelslid kost veel te veel voor een kleine zaak.",
            "De jobstudenten die ik aanneem stoppen na twee weken.",
        ),
        "skills_digital": (
            "Ik weet echt niet hoe ik een website voor de winkel moet maken.",
            "Ik ken niets van sociale media om reclame te maken.",
            "Het nieuwe kassasysteem is veel te ingewikkeld voor mij.",
            "Ik zou een opleiding nodig hebben om mijn boekhouding bij te houden.",
        ),
        "isolation_collective": (
            "We staan er alleen voor, er is hier geen handelaarsvereniging.",
            "De gemeente vraagt nooit de mening van de handelaars voor ze beslist.",
            "Als ik de gemeente mail, antwoordt er nooit iemand.",
            "Ik heb niemand om mijn zorgen als handelaar mee te delen.",
        ),
        "workload_health": (
            "Ik werk zeven dagen op zeven zonder ooit vakantie te nemen.",
            "Ik ben uitgeput, ik zit tegen een burn-out aan.",
            "Met die uren zie ik mijn kinderen bijna nooit meer.",
            "Ik wil er het liefst mee stoppen, zo moe ben ik.",
        ),
    },
    "en": {
        "rent_premises": (
            "My landlord is raising the shop's rent yet again.",
            "The commercial lease ends soon and the owner won't renew it.",
            "It's impossible to find a shop unit with an affordable rent.",
            "The landlord refuses to fix the leaking roof of the shop.",
        ),
        "roadworks": (
            "The roadworks outside the shop have blocked the entrance for months.",
            "The building site in the street hides my shop window completely.",
            "The construction fences stop customers from getting to the door.",
            "Nobody tells us when the tram works will finally be over.",
        ),
        "mobility_parking": (
            "The council removed every parking space on the street.",
            "The new traffic plan makes the street impossible to reach by car.",
            "Parking has become paid everywhere around the shop.",
            "Delivery vans are no longer allowed into the pedestrian zone.",
        ),
        "competition": (
            "Customers buy everything on Amazon now.",
            "A discount supermarket just opened next door and undercuts all my prices.",
            "People try things on in my shop and then order them cheaper online.",
            "The big chains run promotions we can never match.",
        ),
        "demand_footfall": (
            "There are far fewer people walking down the street than before.",
            "With remote working, the offices around here are empty at lunchtime.",
            "Customers have less money to spend, the average basket has shrunk.",
            "Turnover drops every month and I have no idea why.",
        ),
        "admin_tax": (
            "Another food safety inspection and a pile of forms to fill in.",
            "The municipal tax on shop signs doubled this year.",
            "The quarterly social security contributions are strangling me.",
            "Getting a regional grant is an administrative nightmare.",
        ),
        "costs_cashflow": (
            "My electricity bill tripled this year.",
            "The wholesalers put their prices up every month.",
            "The bank refuses to give me a cash-flow loan.",
            "The card terminal fees eat my whole margin.",
        ),
        "safety_image": (
            "We get shoplifters several times a week.",
            "Dealers hang around in front of the window every evening.",
            "The pavement is filthy and bin bags pile up everywhere.",
            "The shop was broken into overnight.",
        ),
        "staff": (
            "I can't hire a sales assistant, nobody applies.",
            "My employee is off sick and I have no replacement.",
            "An employee costs far too much for a small shop.",
            "The students I take on quit after two weeks.",
        ),
        "skills_digital": (
            "I have no idea how to build a website for the shop.",
            "I know nothing about social media to advertise.",
            "The new till software is far too complicated for me.",
            "I would need training to keep my own books.",
        ),
        "isolation_collective": (
            "We're on our own, there's no traders' association here.",
            "The council never consults shopkeepers before deciding anything.",
            "When I email the council, nobody ever answers.",
            "I have nobody to share my worries about the shop with.",
        ),
        "workload_health": (
            "I work seven days a week and never take a holiday.",
            "I'm exhausted, close to burning out.",
            "With these hours I hardly ever see my kids.",
            "I feel like giving up, I'm that worn out.",
        ),
    },
}

# Plain messages about none of the factors.
NONE: dict[str, tuple[str, ...]] = {
    "fr": (
        "Bonjour, merci pour la réunion d'hier soir !",
        "Est-ce que la séance d'information de jeudi a toujours lieu ?",
        "Super idée ce bot, bonne continuation à toute l'équipe.",
        "Bonne nouvelle : ma vitrine de Noël est enfin terminée 🎄",
    ),
    "nl": (
        "Dag, bedankt voor de vergadering van gisteravond!",
        "Gaat de infosessie van donderdag nog altijd door?",
        "Goed idee die bot, veel succes aan het hele team.",
        "Goed nieuws: mijn kerstetalage is eindelijk klaar 🎄",
    ),
    "en": (
        "Hi, thanks for last night's meeting!",
        "Is Thursday's information session still on?",
        "Great idea this bot, good luck to the whole team.",
        "Good news: my Christmas window display is finally done 🎄",
    ),
}

# What a dismissal is about: one topic per factor, said as a shopkeeper would name it.
TOPIC: dict[str, dict[str, str]] = {
    "fr": {
        "rent_premises": "le loyer",
        "roadworks": "les travaux dans la rue",
        "mobility_parking": "le stationnement",
        "competition": "la concurrence",
        "demand_footfall": "la clientèle",
        "admin_tax": "la paperasse",
        "costs_cashflow": "les factures",
        "safety_image": "la sécurité du quartier",
        "staff": "le personnel",
        "skills_digital": "l'informatique",
        "isolation_collective": "l'entente entre commerçants",
        "workload_health": "la santé",
    },
    "nl": {
        "rent_premises": "de huur",
        "roadworks": "de werken in de straat",
        "mobility_parking": "het parkeren",
        "competition": "de concurrentie",
        "demand_footfall": "het klantenbestand",
        "admin_tax": "de papieren",
        "costs_cashflow": "de facturen",
        "safety_image": "de veiligheid in de buurt",
        "staff": "het personeel",
        "skills_digital": "de computer",
        "isolation_collective": "de samenwerking tussen handelaars",
        "workload_health": "de gezondheid",
    },
    "en": {
        "rent_premises": "the rent",
        "roadworks": "the works in the street",
        "mobility_parking": "parking",
        "competition": "the competition",
        "demand_footfall": "our customer numbers",
        "admin_tax": "the paperwork",
        "costs_cashflow": "the bills",
        "safety_image": "safety around here",
        "staff": "staff",
        "skills_digital": "the computer side",
        "isolation_collective": "how traders get on together",
        "workload_health": "my health",
    },
}

DISMISS: dict[str, tuple[str, ...]] = {
    "fr": (
        "Pour {topic}, aucun souci, tout se passe bien.",
        "{Topic}, franchement ça va, je ne me plains pas.",
        "Pas de problème avec {topic} chez nous, merci.",
    ),
    "nl": (
        "Met {topic} geen enkel probleem, alles loopt goed.",
        "{Topic}? Dat valt eerlijk gezegd goed mee, ik klaag niet.",
        "Over {topic} hoor je mij niet klagen, dat is in orde.",
    ),
    "en": (
        "No problem at all with {topic}, everything's going well.",
        "{Topic}? Honestly that's fine, I'm not complaining.",
        "{Topic} is all good for us, thanks.",
    ),
}

# Lost customers blamed on a cause: the cause's factor, and not demand_footfall.
CAUSES: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "roadworks": ("des travaux de voirie", "du chantier devant la porte"),
        "mobility_parking": ("de la suppression des places de parking", "du nouveau sens unique"),
        "competition": ("du centre commercial qui a ouvert", "des ventes en ligne"),
        "safety_image": ("des vols et des agressions", "de la saleté dans la rue"),
    },
    "nl": {
        "roadworks": ("de wegenwerken", "de werf voor de deur"),
        "mobility_parking": (
            "het schrappen van de parkeerplaatsen",
            "het nieuwe eenrichtingsverkeer",
        ),
        "competition": ("het nieuwe shoppingcenter", "de webwinkels"),
        "safety_image": ("de diefstallen en de agressie", "het vuil op straat"),
    },
    "en": {
        "roadworks": ("the roadworks", "the building site outside the door"),
        "mobility_parking": ("the parking spaces being removed", "the new one-way system"),
        "competition": ("the new shopping centre", "online shopping"),
        "safety_image": ("the thefts and the aggression", "the filth in the street"),
    },
}

BECAUSE: dict[str, tuple[str, ...]] = {
    "fr": (
        "On a perdu la moitié des clients à cause {cause}.",
        "Le chiffre a chuté à cause {cause}, les gens ne viennent plus.",
    ),
    "nl": (
        "We zijn de helft van onze klanten kwijt door {cause}.",
        "De omzet is gekelderd door {cause}, de mensen komen niet meer.",
    ),
    "en": (
        "We've lost half our customers because of {cause}.",
        "Sales have collapsed because of {cause}, people just don't come any more.",
    ),
}

# What may surround a message without changing what it is about.
NAMES = {
    "fr": "Ici Karim, de l'épicerie. ",
    "nl": "Hier Sofie van de bloemenwinkel. ",
    "en": "Hi, Priya from the corner shop here. ",
}
PLACES = {
    "fr": " (rue de Flandre, Bruxelles)",
    "nl": " (Dansaertstraat, Brussel)",
    "en": " (Chaussée de Wavre, Ixelles)",
}
GREETINGS = {
    "fr": ("Bonjour à tous ! ", " Merci et bonne journée."),
    "nl": ("Goeiemorgen! ", " Bedankt en nog een fijne dag."),
    "en": ("Good morning! ", " Thanks and have a nice day."),
}
EMOJI = ("😩 ", " 😡😡")


def _de(lang: str, cause: str) -> str:
    """Give "à cause" its "de" in French, unless the complement already starts with one."""
    if lang != "fr" or cause.startswith(("du ", "des ", "de ")):
        return cause
    return "de " + cause


def _typo(text: str) -> str:
    """Type like on a phone: no accents, lower case, two letters of the longest word swapped."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = plain.split(" ")
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) > 4:
        middle = len(word) // 2
        words[longest] = word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]
    return " ".join(words)


@dataclass(frozen=True)
class Case:
    """One behavioural case: its kind, language, text and how to judge a prediction."""

    kind: str
    lang: str
    name: str
    text: str
    # For INV: the text whose prediction must be kept.
    base: str | None = None
    expect: frozenset[str] = frozenset()
    forbid: frozenset[str] = frozenset()
    exact: bool = False


def build_cases() -> list[Case]:
    """Return every behavioural case of the suite."""
    cases: list[Case] = []
    for lang in LANGS:
        for factor, texts in CLEAR[lang].items():
            for i, text in enumerate(texts):
                cases.append(Case("MFT", lang, f"{factor}/{i}", text, expect=frozenset({factor})))
                pre, post = GREETINGS[lang]
                variants = {
                    "name": NAMES[lang] + text,
                    "place": text.rstrip(".!") + PLACES[lang] + ".",
                    "typo": _typo(text),
                    "emoji": EMOJI[0] + text + EMOJI[1],
                    "greeting": pre + text + post,
                }
                for how, changed in variants.items():
                    cases.append(Case("INV", lang, f"{factor}/{i}/{how}", changed, base=text))
        for i, text in enumerate(NONE[lang]):
            cases.append(Case("MFT", lang, f"none/{i}", text, exact=True))
        for factor, topic in TOPIC[lang].items():
            for i, template in enumerate(DISMISS[lang]):
                text = template.replace("{Topic}", topic[:1].upper() + topic[1:])
                text = text.replace("{topic}", topic)
                cases.append(
                    Case("DIR", lang, f"dismiss/{factor}/{i}", text, forbid=frozenset({factor}))
                )
        for factor, causes in CAUSES[lang].items():
            for i, cause in enumerate(causes):
                for j, template in enumerate(BECAUSE[lang]):
                    text = template.replace("{cause}", _de(lang, cause))
                    cases.append(
                        Case(
                            "DIR",
                            lang,
                            f"cause/{factor}/{i}/{j}",
                            text,
                            expect=frozenset({factor}),
                            forbid=frozenset({"demand_footfall"}),
                        )
                    )
    return cases


def fresh_cases() -> list[Case]:
    """Return the independently written cases: dismissals, blamed causes, demand changes."""
    cases: list[Case] = []
    lines = FRESH.read_text(encoding="utf-8").splitlines()
    for i, row in enumerate(json.loads(line) for line in lines if line.strip()):
        factor, kind = row["factor"], row["kind"]
        expect: frozenset[str] = frozenset()
        forbid: frozenset[str] = frozenset()
        if kind == "dismiss":
            forbid = frozenset({factor})
        elif kind == "cause":
            expect, forbid = frozenset({factor}), frozenset({"demand_footfall"})
        elif kind == "demand":
            expect = frozenset({factor})
        else:
            raise ValueError(f"{FRESH}: unknown kind {kind!r}")
        cases.append(
            Case(kind, row["lang"], f"fresh/{i}", row["text"], expect=expect, forbid=forbid)
        )
    return cases


def passes(case: Case, found: frozenset[str], base_found: frozenset[str] | None) -> bool:
    """Judge one case against the factors predicted for it (and for its base, for INV)."""
    if case.kind == "INV":
        return found == base_found
    if case.exact:
        return found == case.expect
    return case.expect <= found and not (case.forbid & found)


def pass_rates(
    predict: Callable[[Sequence[str]], list[frozenset[str]]],
    cases: Sequence[Case] | None = None,
) -> tuple[dict[tuple[str, str], float], list[tuple[Case, frozenset[str]]]]:
    """Run the suite: pass rate per (kind, language), and every failed case with its factors."""
    cases = build_cases() if cases is None else list(cases)
    bases = sorted({c.base for c in cases if c.base is not None})
    texts = [c.text for c in cases] + bases
    found = predict(texts)
    by_text = dict(zip(texts, found, strict=True))
    totals: dict[tuple[str, str], list[int]] = {}
    failed: list[tuple[Case, frozenset[str]]] = []
    for case in cases:
        ok = passes(case, by_text[case.text], by_text.get(case.base or ""))
        tally = totals.setdefault((case.kind, case.lang), [0, 0])
        tally[0] += ok
        tally[1] += 1
        if not ok:
            failed.append((case, by_text[case.text]))
    return {key: passed / total for key, (passed, total) in totals.items()}, failed


def report(
    rates: dict[tuple[str, str], float],
    counts: dict[tuple[str, str], int],
    kinds: Sequence[str] = KINDS,
) -> str:
    """Render pass rates as a Markdown table: kinds as rows, languages as columns."""
    lines = ["| kind | " + " | ".join(LANGS) + " |", "|---|" + "---|" * len(LANGS)]
    for kind in kinds:
        cells = [f"{rates[(kind, lang)]:.1%} ({counts[(kind, lang)]})" for lang in LANGS]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    """Print the shipped model's pass rates and its failed cases, the suite then the fresh set."""
    from nlp.classifier import get_classifier

    classifier = get_classifier()

    def predict(texts: Sequence[str]) -> list[frozenset[str]]:
        return [frozenset(f.factor for f in fs) for fs in classifier.predict_many(texts)]

    for cases, kinds in ((build_cases(), KINDS), (fresh_cases(), FRESH_KINDS)):
        rates, failed = pass_rates(predict, cases)
        counts: dict[tuple[str, str], int] = {}
        for case in cases:
            counts[(case.kind, case.lang)] = counts.get((case.kind, case.lang), 0) + 1
        print(report(rates, counts, kinds))
        for case, found in failed:
            print(f"FAIL {case.kind} {case.lang} {case.name}: {sorted(found)}  {case.text}")


if __name__ == "__main__":
    main()

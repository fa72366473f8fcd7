"""Find and hide personal data in shopkeepers' free text before it is quoted to partners.

Detection is rule-based (regular expressions, word lists and checksums; no model, nothing to
download). It errs on the side of keeping what is public and useful to partners: street names,
communes, organisations, prices, dates, hours, postal codes and enterprise (VAT) numbers stay;
e-mail addresses, phone numbers, IBANs, links, handles, person names announced by a cue and
house numbers are replaced by language-neutral placeholders such as ``[phone]``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "PLACEHOLDERS",
    "Kind",
    "Redaction",
    "anonymize",
    "find_personal_data",
    "iban_is_valid",
]


class Kind(StrEnum):
    """Name the kind of personal data a redaction hides."""

    EMAIL = "email"
    PHONE = "phone"
    IBAN = "iban"
    URL = "url"
    HANDLE = "handle"
    NAME = "name"
    HOUSE_NUMBER = "house_number"


PLACEHOLDERS: Mapping[Kind, str] = {
    Kind.EMAIL: "[email]",
    Kind.PHONE: "[phone]",
    Kind.IBAN: "[iban]",
    Kind.URL: "[url]",
    Kind.HANDLE: "[handle]",
    Kind.NAME: "[name]",
    Kind.HOUSE_NUMBER: "[number]",
}
"""Text that replaces each kind of redacted span."""


@dataclass(frozen=True)
class Redaction:
    """Locate one span of personal data by its offsets in the original text."""

    kind: Kind
    start: int
    end: int


def find_personal_data(text: str) -> list[Redaction]:
    """Return the personal-data spans of ``text``, sorted and non-overlapping."""
    chosen: list[Redaction] = []
    # Detectors run from the most to the least certain, so an e-mail's domain is never also
    # reported as a link and the digits of an IBAN never as a phone number.
    for detector in _DETECTORS:
        for found in detector(text):
            if found.start >= found.end:
                continue
            if any(found.start < c.end and c.start < found.end for c in chosen):
                continue
            chosen.append(found)
    return sorted(chosen, key=lambda r: r.start)


def anonymize(text: str) -> str:
    """Replace every personal-data span of ``text`` with its placeholder."""
    parts: list[str] = []
    last = 0
    for found in find_personal_data(text):
        parts.append(text[last : found.start])
        parts.append(PLACEHOLDERS[found.kind])
        last = found.end
    parts.append(text[last:])
    return "".join(parts)


# --------------------------------------------------------------------------- helpers

_SP = "[ \\u00a0]"
_LETTER = "(?:[^\\W\\d_]|[\\u0300-\\u036f])"
_WORD_BODY = f"{_LETTER}+(?:['’-]{_LETTER}+)*"
_WORD = re.compile(_WORD_BODY)
_NEXT_WORD = re.compile(f"{_SP}{{1,2}}({_WORD_BODY})")


def _fold(word: str) -> str:
    """Return ``word`` case-folded, without accents and with a straight apostrophe."""
    decomposed = unicodedata.normalize("NFKD", word)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.casefold().replace("’", "'")


def _words(*blocks: str) -> frozenset[str]:
    """Build a folded word set from whitespace-separated blocks."""
    return frozenset(_fold(w) for block in blocks for w in block.split())


# --------------------------------------------------------------------------- e-mail

_TLD_HINT = (
    "(?:com|be|net|org|eu|fr|nl|lu|de|uk|info|biz|io|co|me|ma|tr|pl|ro|shop|store|brussels|"
    "vlaanderen|gent|app|online|site)"
)
_EMAIL = re.compile(
    r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,24}(?![\w-])", re.IGNORECASE
)
_O_DOT = r"(?:\.|\s?[(\[{<]\s?(?:dot|point|punt)\s?[)\]}>]\s?|\s(?:dot|point|punt)\s)"
_O_AT = (
    r"(?:\s?[(\[{<]\s?(?:at|a|arobase|apenstaart(?:je)?)\s?[)\]}>]\s?"
    r"|\s(?:at|arobase|apenstaartje)\s|\s@\s?|@\s)"
)
# Spelled-out forms ("jean at gmail dot com") must end in a known top-level domain, or
# ordinary prose with "at" and "point" in it would look like an address.
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+%-])[\w+%-]+(?:{_O_DOT}[\w+%-]+)*{_O_AT}"
    rf"[\w-]+(?:{_O_DOT}[\w-]+)*?{_O_DOT}{_TLD_HINT}(?![\w-])",
    re.IGNORECASE,
)


def _emails(text: str) -> Iterator[Redaction]:
    """Yield plain and spelled-out e-mail addresses."""
    for pattern in (_EMAIL, _OBFUSCATED_EMAIL):
        for m in pattern.finditer(text):
            yield Redaction(Kind.EMAIL, m.start(), m.end())


# --------------------------------------------------------------------------- links, handles

_BARE_TLDS = (
    "com|be|eu|fr|nl|net|org|info|shop|store|brussels|vlaanderen|gent|io|app|online|site|biz"
)
_URL = re.compile(
    r"(?<![\w@./-])(?:(?:https?|ftp)://|www\.)[^\s<>\"'«»]+"
    r"|(?<![\w@./-])(?:[a-z0-9-]+\.)+[a-z]{2,24}/[^\s<>\"'«»]*"
    # A bare "name.tld" needs a lowercase, well-known TLD: "ouvert.De plus" is a typo, not a link.
    rf"|(?<![\w@./-])(?:[a-z0-9-]+\.)+(?-i:{_BARE_TLDS})(?![\w@/-]|\.[a-z0-9])",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = ".,;:!?…'\")]}»"
_TELEGRAM_HOSTS = frozenset({"t.me", "telegram.me", "telegram.dog"})
# Public bodies' pages identify nobody; a query string might, so those still count as links.
_PUBLIC_HOSTS = frozenset(
    {
        "hub.brussels",
        "1819.brussels",
        "be.brussels",
        "lessines.be",
        "belgium.be",
        "ucm.be",
        "unizo.be",
        "stib.be",
        "mivb.be",
        "afsca.be",
        "favv.be",
        "onss.be",
        "rsz.be",
    }
)
_HANDLE = re.compile(r"(?<![\w@./:])@[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")


def _urls(text: str) -> Iterator[Redaction]:
    """Yield web links; Telegram links come out as handles."""
    for m in _URL.finditer(text):
        url = m.group()
        while url and url[-1] in _TRAILING_PUNCTUATION:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        bare = re.sub(r"^(?:[a-z]+://)?(?:www\.)?", "", url, flags=re.IGNORECASE)
        host, _, path = bare.partition("/")
        host = host.split("?")[0].split("#")[0].lower()
        if host in _PUBLIC_HOSTS and not re.search(r"[?@=]", path):
            continue
        kind = Kind.HANDLE if host in _TELEGRAM_HOSTS and path else Kind.URL
        yield Redaction(kind, m.start(), m.start() + len(url))


def _handles(text: str) -> Iterator[Redaction]:
    """Yield @usernames (Telegram, Instagram, X...)."""
    for m in _HANDLE.finditer(text):
        if 3 <= len(m.group()) <= 33:
            yield Redaction(Kind.HANDLE, m.start(), m.end())


# --------------------------------------------------------------------------- IBAN

_IBAN_LENGTHS: Mapping[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "DZ": 26, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22,
    "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23,
    "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20,
    "LU": 20, "LV": 21, "MA": 28, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31,
    "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24,
    "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}")
_IBAN_SEPARATORS = " \u00a0-"


def iban_is_valid(candidate: str) -> bool:
    """Check an IBAN's country length and ISO 7064 mod-97 checksum, ignoring spaces."""
    compact = "".join(ch for ch in candidate if ch not in _IBAN_SEPARATORS).upper()
    if not compact.isascii() or not compact.isalnum():
        return False
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def _ibans(text: str) -> Iterator[Redaction]:
    """Yield IBANs whose length and checksum are right, written with or without spaces."""
    for m in _IBAN_START.finditer(text):
        length = _IBAN_LENGTHS.get(m.group()[:2].upper())
        if length is None:
            continue
        count, i = 0, m.start()
        while i < len(text) and count < length:
            ch = text[i]
            if ch.isascii() and ch.isalnum():
                count += 1
                i += 1
            elif (
                ch in _IBAN_SEPARATORS
                and count > 0
                and i + 1 < len(text)
                and text[i + 1].isascii()
                and text[i + 1].isalnum()
            ):
                i += 1
            else:
                break
        followed_by_alnum = i < len(text) and text[i].isalnum()
        if count == length and not followed_by_alnum and iban_is_valid(text[m.start() : i]):
            yield Redaction(Kind.IBAN, m.start(), i)


# --------------------------------------------------------------------------- phones

_PHONE_RUN = re.compile(
    r"(?<![\w+])(?<!\d[.,])(?:\+[ \u00a0]?)?\d+"
    r"(?:(?:[ \u00a0]?[./-][ \u00a0]?|[ \u00a0]?\([ \u00a0]?0[ \u00a0]?\)[ \u00a0]?|[ \u00a0])"
    r"\d+)*"
)
_PHONE_PART = re.compile(r"\([ \u00a0]?0[ \u00a0]?\)|\d+")
_PHONE_MAX_GROUPS = 8
# National significant number lengths for the countries Brussels shopkeepers call most; other
# codes get the generic E.164 bounds.
_COUNTRY_NSN: Mapping[str, tuple[int, int]] = {
    "1": (10, 10), "7": (10, 10), "30": (10, 10), "31": (9, 9), "32": (8, 9), "33": (9, 9),
    "34": (9, 9), "36": (8, 9), "39": (6, 11), "40": (9, 9), "41": (9, 9), "44": (9, 10),
    "48": (9, 9), "49": (6, 13), "90": (10, 10), "91": (10, 10), "212": (9, 9), "213": (8, 9),
    "216": (8, 8), "221": (9, 9), "237": (9, 9), "243": (9, 9), "351": (9, 9),
    "352": (4, 11), "355": (8, 9), "359": (8, 9), "420": (9, 9),
}  # fmt: skip
_VAT_CUE = re.compile(
    r"(?<!\w)(?:(?-i:BE)|TVA|BTW|VAT|BCE|KBO|entreprise|onderneming(?:snummer)?|enterprise|"
    r"company(?:\s+number)?)[\s.:°#-]*(?:(?:n[°º]|nr\.?|no\.?)[\s.:]*)?$",
    re.IGNORECASE,
)
_PHONE_CUE = re.compile(
    r"(?:t[ée]l(?:[ée]phone)?|gsm|phone|mobile|portable|whats?app|bel(?:len)?|call|"
    r"appel(?:ez|er)?|nummer|num[ée]ro|📞|☎\ufe0f?)\W{0,5}$",
    re.IGNORECASE,
)
_AFTER_NUMBER_UNIT = re.compile(r"[ \u00a0]?(?:,\d|[%€$£]|(?:eur|euros?|kg|h)(?!\w))", re.I)


@dataclass(frozen=True)
class _Group:
    """Hold one run of digits inside a phone-like sequence."""

    start: int
    end: int
    digits: str
    separator: str
    trunk: bool


def _phone_groups(text: str, run: re.Match[str]) -> list[_Group]:
    """Split a phone-like run into digit groups, noting a "(0)" before a group."""
    groups: list[_Group] = []
    previous_end = run.start()
    trunk = False
    for part in _PHONE_PART.finditer(text, run.start(), run.end()):
        if part.group().startswith("("):
            trunk = True
            continue
        separator = text[previous_end : part.start()]
        groups.append(_Group(part.start(), part.end(), part.group(), separator, trunk))
        previous_end, trunk = part.end(), False
    return groups


def _valid_international(number: str) -> bool:
    """Check digits after "+" (country code first) against known number lengths."""
    for size in (1, 2, 3):
        code = number[:size]
        if code in _COUNTRY_NSN:
            national = number[size:]
            # People often keep the trunk zero: "+32 0470 ..."
            if national.startswith("0"):
                national = national[1:]
            low, high = _COUNTRY_NSN[code]
            if code == "32" and len(national) == 9 and not national.startswith("4"):
                return False
            return low <= len(national) <= high
    return 8 <= len(number) <= 15


def _valid_national(digits: str) -> bool:
    """Check a number dialled without country code: Belgian, or a French or Dutch mobile."""
    if not digits.startswith("0") or digits[1:2] in ("", "0"):
        return False
    if len(digits) == 9:
        return True
    # Belgian mobiles are 045x-049x; French (06, 07) and Dutch (06) mobiles are ten digits too.
    return len(digits) == 10 and (
        digits[1:3] in ("45", "46", "47", "48", "49") or digits[1] in "67"
    )


def _phone_span(
    text: str, run: re.Match[str], groups: list[_Group], first: int, last: int
) -> tuple[int, int] | None:
    """Return the span of groups ``first..last`` if they form a phone number."""
    part = groups[first : last + 1]
    digits = "".join(g.digits for g in part)
    plus = first == 0 and run.group().startswith("+")
    start = run.start() if plus else part[0].start
    end = part[-1].end
    rest = text[end : end + 8]
    if rest[:1].isalnum() or _AFTER_NUMBER_UNIT.match(rest):
        return None
    if plus or digits.startswith("00"):
        return (start, end) if _valid_international(digits if plus else digits[2:]) else None
    if any(g.trunk for g in part) or not _valid_national(digits):
        return None
    lengths = [len(g.digits) for g in part]
    separators = [g.separator for g in part[1:]]
    if lengths[0] < 2:
        return None
    # "02/03/2024 9": a date followed by a number adds up to nine digits starting with 0.
    if (
        len(part) >= 3
        and lengths[0] <= 2
        and lengths[1] <= 2
        and lengths[2] == 4
        and all(s.strip() for s in separators[:2])
    ):
        return None
    before = text[max(0, start - 40) : start]
    if _VAT_CUE.search(before):
        return None
    # 0123.456.789 is how enterprise (VAT) numbers are written; some start with 045-048 too.
    if lengths == [4, 3, 3] and separators == [".", "."] and not _PHONE_CUE.search(before):
        return None
    return start, end


def _phones(text: str) -> Iterator[Redaction]:
    """Yield Belgian and international phone numbers, leaving prices, dates and times."""
    for run in _PHONE_RUN.finditer(text):
        groups = _phone_groups(text, run)
        first = 0
        while first < len(groups):
            # A number can start inside a run only after a blank: "le 12 0470 12 34 56".
            if first > 0 and (groups[first].separator.strip() or groups[first].trunk):
                first += 1
                continue
            # The longest valid number wins: "0470 12 34 56" rather than "0470 12 34".
            span = None
            for last in range(min(len(groups), first + _PHONE_MAX_GROUPS) - 1, first - 1, -1):
                span = _phone_span(text, run, groups, first, last)
                if span is not None:
                    break
            if span is None:
                first += 1
                continue
            yield Redaction(Kind.PHONE, *span)
            first = last + 1


# --------------------------------------------------------------------------- word lists

_PLACES = _words(
    """
    anderlecht auderghem oudergem berchem-sainte-agathe sint-agatha-berchem bruxelles brussel
    brussels bruxelles-capitale etterbeek evere forest vorst ganshoren ixelles elsene jette
    koekelberg molenbeek molenbeek-saint-jean sint-jans-molenbeek saint-gilles sint-gillis
    saint-josse saint-josse-ten-noode sint-joost-ten-node schaerbeek schaarbeek uccle ukkel
    watermael-boitsfort watermaal-bosvoorde boitsfort bosvoorde woluwe woluwe-saint-lambert
    woluwe-saint-pierre laeken laken neder-over-heembeek haren
    lessines lessen deux-acren twee-akren acren bois-de-lessines lessenbos ghoy ogy ollignies
    woelingen papignies papegem wannebecq houraing
    flagey matonge marolles marollen sablon zavel stockel stokkel cureghem kuregem simonis
    louise midi neuve nieuwstraat anspach stalingrad luxembourg namur waterloo charleroi
    haecht louvain leuven wavre gand gent mons bergen brabant flandre tomberg helmet bockstael
    châtelain bailli dailly
    antwerpen anvers antwerp liège luik namen brugge bruges mechelen malines hasselt ath aat
    enghien edingen ninove geraardsbergen grammont tournai doornik ronse renaix halle hal
    waver nivelles paris lille amsterdam london londres rotterdam
    belgique belgië belgie belgium france frankrijk nederland pays-bas maroc marokko morocco
    turquie turkije turkey pologne polen poland congo roumanie roemenië romania europe europa
    wallonie wallonië flandres vlaanderen flanders hainaut henegouwen bruxelles-ville
    """
)
_ORGANISATIONS = _words(
    """
    hub hub.brussels ucm unizo stib mivb onss rsz afsca favv colruyt delhaize carrefour aldi
    lidl amazon zalando uber eats deliveroo takeaway bol bpost proximus orange telenet engie
    luminus sibelga vivaqua ikea action hema kruidvat zara primark makro metro spar okay
    intermarché cora fnac mediamarkt krefel ing bnp paribas fortis belfius kbc argenta axa
    ethias partena securex acerta liantis xerius google facebook meta instagram whatsapp
    telegram tiktok youtube apple microsoft visa mastercard bancontact payconiq stripe sumup
    worldline airbnb booking etsy ebay vinted immoweb citydev actiris vdab forem innoviris spf
    fod inasti rsvz bce kbo tva btw cpas ocmw sncb nmbs tec lijn villo cambio beci voka asbl
    vzw sprl srl bvba nv sa bv cfc bricolage oetker brico gamma hubo
    """
)
_CALENDAR = _words(
    """
    lundi mardi mercredi jeudi vendredi samedi dimanche maandag dinsdag woensdag donderdag
    vrijdag zaterdag zondag monday tuesday wednesday thursday friday saturday sunday
    janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre
    décembre januari februari maart april mei juni juli augustus oktober
    january february march june july august september october november december
    fév feb avr apr juil jul aug sept sep oct okt nov déc dec
    noël kerstmis christmas pâques pasen easter ramadan aïd eid toussaint
    """
)
_DEMONYMS = _words(
    """
    belge belges belg belgian français française french frans néerlandais dutch nederlander
    nederlandse marocain marocaine marokkaan marokkaanse moroccan turc turque turk turkse
    turkish polonais polonaise pool poolse polish congolais congolaise congolese bruxellois
    bruxelloise brusselaar lessinois lessinoise flamand flamande vlaming flemish wallon
    wallonne waal walloon européen european italien italian espagnol spanish portugais
    portuguese roumain romanian anglais english british américain american algérien
    tunisien syrien afghan albanais bulgare grec greek muslim musulman christian
    """
)
_TITLES = _words(
    """
    m mm mr mrs ms dr mme mmes mlle madame monsieur mademoiselle meneer mevrouw juffrouw dhr
    mevr docteur dokter doctor sir miss mister madam ministre minister bourgmestre
    burgemeester échevin échevine schepen mayor président présidente president directeur
    directrice director manager chef professeur prof maître
    """
)
_COMMON_CAPITALISED = _words(
    """
    bonjour bonsoir salut merci hello hi hey thanks thank dank bedankt hallo dag goedemorgen
    goedendag welkom bienvenue bravo ok oui non ja nee yes no svp stp aub please beaucoup bien
    super top covid corona euro euros internet wifi help urgent courage bio
    le la les un une de du des je il elle on nous vous ils elles ce cette ça et ou mais donc
    car ni si quand depuis pour avec sans chez dans sur sous ik jij hij zij ze het een en maar
    of dat die dit deze wij we jullie the a an and or but i you he she it they this that
    these those my our his her their mon ma mes mijn onze in at to from for with by not also
    very too here ici hier there daar
    rue avenue chaussée boulevard place square straat laan steenweg plein street road
    galerie galeries parvis gare station centre centrum marché markt
    saint sainte sint st
    """
)
_NOT_NAMES = _PLACES | _ORGANISATIONS | _CALENDAR | _DEMONYMS | _TITLES | _COMMON_CAPITALISED
_PLACE_PREFIXES = ("saint-", "sainte-", "sint-", "st-")
_PARTICLES = _words("van von de der den du des la le di da dos del della ten ter el al bin ibn")

_FIRST_NAMES = _words(
    """
    marie sarah julie sophie camille léa emma manon chloé laura claire isabelle nathalie
    sandrine valérie catherine christine martine monique françoise anne céline aurélie élodie
    caroline véronique sylvie jeanne juliette alice charlotte pauline mathilde élise lucie
    jean pierre jacques philippe michel alain patrick éric olivier nicolas thomas julien
    laurent christophe david marc luc benoît vincent françois didier bernard daniel thierry
    pascal stéphane sébastien maxime antoine hugo lucas louis nathan arthur jules gabriel
    mathieu guillaume romain quentin cédric frédéric xavier yves serge andré jean-pierre
    jean-marc jean-luc jean-paul jean-claude
    jan pieter peter sofie els annelies katrien kristof koen tom bart dirk geert wim joris
    jeroen stijn sander lotte lien nele evi inge hilde veerle griet liesbeth marleen jef jos
    filip wouter ruben jens lars bram maarten tine femke hanne lore jolien ellen kaat ann
    anke eline hans kurt johan erik rik raf sven tim dries jasper lukas wout seppe lander
    robbe noor fien lisa eva
    john james michael robert william richard joseph charles george mary elizabeth jennifer
    jessica emily olivia rachel rebecca hannah kate jack harry oliver matthew andrew chris
    mike steve anna amy lucy sam paul susan helen
    mohamed mohammed mohamad mohammad muhammad ahmed ahmad ali omar youssef yousef karim
    rachid hassan hussein hamza ibrahim ismail mustapha mustafa khalid nabil samir mehdi bilal
    anas ayoub adam yassine amine fatima fatma khadija aicha amina yasmina yasmine samira
    nadia leila laila salma sara souad naima malika zineb hanane meryem imane houda nour rania
    soumaya hafsa
    mehmet ahmet hüseyin hasan murat emre burak yusuf ömer osman ayşe emine hatice zeynep elif
    esra merve büşra özlem derya serkan kemal
    piotr katarzyna agnieszka tomasz krzysztof paweł marek magdalena małgorzata joanna michał
    marcin łukasz jakub kasia ewa monika dorota barbara marta aleksandra wojciech grzegorz
    andrei elena ioana mihai alexandru moussa mamadou fatou aminata ibrahima kevin
    """
)
# Brands built on a first name are shop talk, not people.
_BRANDS = frozenset(
    {
        "louis vuitton",
        "hugo boss",
        "marc jacobs",
        "tom tailor",
        "marie claire",
        "pierre marcolini",
        "louis delhaize",
        "jean paul gaultier",
        "tommy hilfiger",
    }
)

_STREET_SUFFIXES = ("straat", "laan", "steenweg", "plein", "lei", "dreef", "kaai", "markt", "weg")
_NOT_STREETS = _words(
    """
    onderweg snelweg autosnelweg halfweg zijweg weg supermarkt minimarkt arbeidsmarkt
    woningmarkt huurmarkt vastgoedmarkt allerlei
    """
)
_FUNCTION_WORDS = _words(
    """
    a à ai as avons avez ont au aux avec ce ces cet cette chez dans depuis donc elle elles en
    entre est et étaient était été eu il ils je j la le les leur lui mais me même mes moi mon
    ma ne ni nos notre nous on ou où par pas pendant peu plus pour près qu quand que qui sa
    sans se ses si son sont sous sur ta te tes toi ton tous tout toute toutes très trop tu un
    une vers vos votre vous y ça aussi encore déjà toujours jamais souvent là ici beaucoup
    vraiment maintenant hier demain il y fermé ouvert
    de het een en of maar is zijn was ik je jij hij zij ze we wij jullie ons onze mijn er hier
    daar niet geen wel ook nog al dan als om op in aan met voor naar bij uit tot door over
    sinds na te dat die dit deze wat wie waar heel veel zeer erg nu altijd
    the an and or but are were be been has have had you he she it they my our your his her
    their on at to for with since from by near very too so no not all also still now here
    there
    """
)
_UNITS = _words(
    """
    an ans année années mois semaine semaines jour jours heure heures h min minute minutes
    seconde secondes fois x % € $ £ ° euro euros eur cent cents centimes client clients
    cliente clientes magasin magasins commerce commerces boutique boutiques personne personnes
    gens employé employés employée employées place places mètre mètres m m2 m² km kg g gr l
    litre litres cl ml pièce pièces paquet paquets caisse caisses colis article articles
    produit produits sac sacs étage étages étoile étoiles sur
    jaar jaren maand maanden week weken dag dagen uur uren minuten keer maal klant klanten
    winkel winkels zaak zaken mensen personen werknemers plaatsen meter procent stuks kilo
    liter verdieping verdiepingen
    year years month months weeks day days hour hours minutes time times customer customers
    shop shops store stores people person persons employee employees staff metre metres
    meters percent kilos pieces items floor floors
    """
)
# Words that may follow "rue Neuve, 12" when the comma leaves doubt about the number's role.
_ADDRESS_FOLLOW = _words("bus boîte boite bte bt box à a te in en et and op bis ter b")


# --------------------------------------------------------------------------- house numbers

_FRENCH_STREET_WORDS = (
    r"rue|avenue|av\.|av|chauss[ée]e|ch[ée]e|boulevard|boul\.|bd\.?|bld\.?|place|pl\.|square|"
    r"quai|impasse|all[ée]e|galerie|parvis|chemin|route|dr[èe]ve|clos"
)
_FRENCH_STREET = re.compile(
    rf"(?<![\w'’.-])(?:{_FRENCH_STREET_WORDS})(?=[ \u00a0])", re.IGNORECASE
)
# Words that also mean "room", "way", "gallery"...: the street name must then be capitalised.
_AMBIGUOUS_STREET_WORDS = _words(
    "place pl. square quai impasse allée galerie parvis chemin route clos"
)
_FUSED_STREET = re.compile(
    rf"(?<![\w'’-])(?:{_LETTER}|['’-])*?(?:{'|'.join(_STREET_SUFFIXES)}|street|road|lane)(?!\w)",
    re.IGNORECASE,
)
_HOUSE_NUMBER = re.compile(
    r"(?P<sep>[ \u00a0]*,?[ \u00a0]*)"
    r"(?:(?:n[°º]|no\.|nr\.?|num[ée]ro|nummer|number)[ \u00a0]*)?"
    r"(?P<num>[1-9]\d{0,2})"
    r"(?:[ \u00a0]?(?:bis|ter)(?!\w)|[a-gi-z](?!\w))?"
    r"(?:[ \u00a0]?[-/][ \u00a0]?\d{1,3}[a-gi-z]?(?!\w))?"
    r"(?:[ \u00a0]*,?[ \u00a0]*(?:bus|bo[îi]te|bte|bt|box)\.?[ \u00a0]*\d{1,4}[a-z]?(?!\w))?",
    re.IGNORECASE,
)
_NUMBER_FIRST = re.compile(
    r"(?<![\w.,/:+-])(?P<num>[1-9]\d{0,2}(?:[ \u00a0]?(?:bis|ter)|[a-gi-z])?)(?!\w)"
    rf"[ \u00a0]*,?[ \u00a0]+(?=(?:{_FRENCH_STREET_WORDS})[ \u00a0])",
    re.IGNORECASE,
)
_ENGLISH_NUMBER_FIRST = re.compile(
    r"(?<![\w.,/:+-])(?P<num>[1-9]\d{0,3}[a-gi-zA-GI-Z]?)[ \u00a0]+"
    r"(?:[A-Z][\w'’-]*[ \u00a0]+){1,3}"
    r"(?:Street|St|Road|Rd|Lane|Avenue|Ave|Square|Drive|Way|Close|Place)(?!\w)"
)
_ATTACHED_AFTER_NUMBER = re.compile(r"\w|[ \u00a0]?(?:[-/:.,]\d|[%€$£°'’])")
_RANGE_AFTER_NUMBER = re.compile(r"[ \u00a0]*(?:à|a|tot|to|till?|[-–])[ \u00a0]*\d", re.I)
_TOKEN_AFTER_NUMBER = re.compile(r"[ \u00a0]*([^\W\d_]+|[%€$£°])")


def _number_follow_ok(text: str, end: int, *, after_comma: bool) -> bool:
    """Tell whether what follows a number lets it be a house number, not a quantity or time."""
    rest = text[end : end + 48]
    if _ATTACHED_AFTER_NUMBER.match(rest) or _RANGE_AFTER_NUMBER.match(rest):
        return False
    token = _TOKEN_AFTER_NUMBER.match(rest)
    if token is None:
        return True
    word = token.group(1)
    key = _fold(word)
    if key in _UNITS:
        return False
    return not (after_comma and word[0].islower() and key not in _ADDRESS_FOLLOW)


def _house_number_at(text: str, pos: int) -> Redaction | None:
    """Match a house number (with letter, range or box) right after a street name."""
    m = _HOUSE_NUMBER.match(text, pos)
    if m is None or not m.group("sep"):
        return None
    if not _number_follow_ok(text, m.end(), after_comma="," in m.group("sep")):
        return None
    return Redaction(Kind.HOUSE_NUMBER, m.start("num"), m.end())


def _street_token_kind(word: str) -> str | None:
    """Classify a word inside a street name: "cap", "particle", "lower" or None (stop)."""
    key = _fold(word)
    if key in _PARTICLES or key in ("au", "aux", "'t", "het", "sint"):
        return "particle"
    core = word[2:] if key[:2] in ("d'", "l'") and len(word) > 2 else word
    if core[0].isupper():
        return "cap"
    if key in _FUNCTION_WORDS or key in _UNITS:
        return None
    return "lower"


def _number_after_street_name(text: str, pos: int, *, strict: bool) -> Redaction | None:
    """Scan a street name that starts after ``pos`` and return the house number that ends it."""
    i = pos
    seen_cap = False
    lowercase = 0
    last_kind: str | None = None
    for _ in range(7):
        if last_kind in ("cap", "lower") and (seen_cap or not strict):
            found = _house_number_at(text, i)
            if found is not None:
                return found
        m = _NEXT_WORD.match(text, i)
        if m is None:
            return None
        last_kind = _street_token_kind(m.group(1))
        if last_kind is None:
            return None
        seen_cap = seen_cap or last_kind == "cap"
        lowercase += last_kind == "lower"
        if lowercase > 3:
            return None
        i = m.end()
    return None


def _street_name_follows(text: str, pos: int) -> bool:
    """Tell whether a capitalised street name starts after ``pos`` (for "23 rue de la Paix")."""
    i = pos
    for _ in range(4):
        m = _NEXT_WORD.match(text, i)
        if m is None:
            return False
        kind = _street_token_kind(m.group(1))
        if kind == "cap":
            return True
        if kind != "particle":
            return False
        i = m.end()
    return False


def _house_numbers(text: str) -> Iterator[Redaction]:
    """Yield house numbers attached to a street, keeping the street name itself."""
    for m in _FRENCH_STREET.finditer(text):
        strict = _fold(m.group()) in _AMBIGUOUS_STREET_WORDS
        found = _number_after_street_name(text, m.end(), strict=strict)
        if found is not None:
            yield found
    for m in _FUSED_STREET.finditer(text):
        word = m.group()
        key = _fold(word)
        if key in _NOT_STREETS:
            continue
        is_suffix_only = key in (*_STREET_SUFFIXES, "street", "road", "lane")
        if is_suffix_only and not word[0].isupper():
            continue
        found = _house_number_at(text, m.end())
        if found is not None:
            yield found
    for m in _NUMBER_FIRST.finditer(text):
        street = _FRENCH_STREET.match(text, m.end())
        if street is not None and _street_name_follows(text, street.end()):
            yield Redaction(Kind.HOUSE_NUMBER, m.start("num"), m.end("num"))
    for m in _ENGLISH_NUMBER_FIRST.finditer(text):
        yield Redaction(Kind.HOUSE_NUMBER, m.start("num"), m.end("num"))


# --------------------------------------------------------------------------- names

_MAX_NAME_TOKENS = 6
_TITLE_CUE = re.compile(
    r"(?<![\w.])(?:(?-i:M\.|MM\.|Mr\.?|Mrs\.?|Ms\.?|Dr\.?|Mme\.?|Mmes\.?|Mlle\.?)|madame|"
    r"monsieur|mademoiselle|meneer|mevrouw|juffrouw|dhr\.?|mevr\.?|docteur|dokter|mister|miss|"
    r"madam)[ \u00a0]+",
    re.IGNORECASE,
)
# After these a name is certain enough to accept one typed in lowercase ("je m'appelle sarah").
_NAMING_CUE = re.compile(
    r"(?<!\w)(?:je\s+m['’]\s?appelle|moi\s*,?\s*c['’]est|mon\s+(?:pr[ée])?nom\s+(?:est|c['’]est)|"
    r"ik\s+heet|mijn\s+(?:voor)?naam\s+is|my\s+(?:first\s+)?name\s+is|my\s+name['’]s)"
    r"[ \u00a0]*[:,]?[ \u00a0]*",
    re.IGNORECASE,
)
_INTRO_CUE = re.compile(
    r"(?<!\w)(?:je\s+m['’]\s?appelle|moi\s*,?\s*c['’]est|mon\s+(?:pr[ée])?nom\s+(?:est|c['’]est)|"
    r"ik\s+ben|ik\s+heet|mijn\s+(?:voor)?naam\s+is|i['’]m|i\s+am|my\s+(?:first\s+)?name\s+is|"
    r"my\s+name['’]s|sign[ée]e?|signed|getekend|cordialement|bien\s+[àa]\s+vous|salutations|"
    r"(?:met\s+)?(?:vriendelijke\s+)?groet(?:en|jes)|mvg|(?:kind\s+|best\s+|warm\s+)?regards|"
    r"cheers|bisous)[ \u00a0]*[:,.!]?\s*",
    re.IGNORECASE,
)
# "c'est Marie de la boulangerie": only a name when a "from" follows, else "c'est Noël".
_PRESENT_CUE = re.compile(
    r"(?<!\w)(?:c['’]est|this\s+is|it['’]s|dit\s+is|hier\s+is|ici)[ \u00a0]+", re.IGNORECASE
)
_FROM_AFTER = re.compile(
    r"[ \u00a0]*,?[ \u00a0]*(?:(?:de|du|des|from|of|van|uit)(?!\w)|d['’])", re.IGNORECASE
)
_DETERMINERS = (
    r"(?:(?:mon|ma|mes|notre|nos|son|sa|ses|leur|leurs|le|la|les|un|une|mijn|m['’]n|onze|ons|"
    r"zijn|haar|hun|de|het|een|my|our|his|her|their|the|a|an)[ \u00a0]+|l['’][ \u00a0]*)"
)
_RELATION_NOUNS = (
    r"employée?s?|salariée?s?|vendeu(?:r|se)s?|collègues?|voisine?s?|associée?s?|patronne|"
    r"patron|proprios?|propriétaires?|bailleu(?:r|resse)|comptables?|stagiaires?|apprentie?s?|"
    r"fournisseurs?|livreu(?:r|se)s?|cliente?s?|femme|mari|époux|épouse|conjointe?|compagnon|"
    r"compagne|fils|fille|frère|s(?:œ|oe)ur|cousine?|amie?s?|copain|copine|gérante?|nounou|"
    r"serveu(?:r|se)|caissière|caissier|étudiante?|mère|père|maman|papa|oncle|tante|neveu|"
    r"nièce|beau-frère|belle-s(?:œ|oe)ur|gendre|belle-fille|beau-père|belle-mère|remplaçante?|"
    r"ouvrière?|ouvrier|coiffeu(?:r|se)|boulang(?:er|ère)|bouch(?:er|ère)|pharmacienne?|"
    r"médecin|avocate?|notaire|banquier|conseill(?:er|ère)|concierge|syndic|"
    r"collega['’]?s?|buurman|buurvrouw|buren|buur|werkneme(?:r|rs|ster)|medewerk(?:er|ers|ster)|"
    r"verkoper|verkoopster|baas|bazin|huisbaas|verhuurder|eigenaar|eigenares|boekhouder|"
    r"stagiair|leverancier|klant|vrouw|man|echtgenoo?te?|partner|zoon|dochter|broer|zus|"
    r"zuster|vriendin|vriend|vennoot|zaakvoerder|studente?|moeder|vader|mama|neef|nicht|oom|"
    r"schoonzus|schoonbroer|kapper|bakker|slager|apotheker|advocaat|notaris|adviseur|"
    r"employees?|colleagues?|neighbou?rs?|landlord|landlady|boss|accountant|supplier|customer|"
    r"client|wife|husband|son|daughter|brother|sister|friend|manager|assistant|intern|cousin|"
    r"mother|father|mum|mom|dad|uncle|aunt|niece|nephew|cashier|waiter|waitress|baker|butcher|"
    r"pharmacist|doctor|lawyer|notary|banker|advi[sz]or|adviser|caretaker|co-?worker"
)
_RELATION_CUE = re.compile(
    rf"(?<!\w){_DETERMINERS}(?:{_RELATION_NOUNS})(?!\w)[ \u00a0]*,?[ \u00a0]*", re.IGNORECASE
)
_SIGNATURE_DASH = re.compile(r"(?:^|(?<=\s))(?:--|—|–|-)[ \u00a0]*")
# Only the very end of a message is a signature; "- Loyer" lines earlier are a bullet list.
_SIGNATURE_END = re.compile(r"[\s.!]*$")
_AND_NEXT = re.compile(r"[ \u00a0]*(?:,|et|and|en|&)[ \u00a0]+", re.IGNORECASE)
_STREET_BEFORE = re.compile(
    rf"(?<!\w)(?:{_FRENCH_STREET_WORDS}|saint|sainte|sint|st\.?)[ \u00a0]+"
    r"(?:(?:du|de|des|d['’]|la|le|l['’]|van|der|den|het|au|aux)[ \u00a0]*)*$",
    re.IGNORECASE,
)
_STREET_AFTER = re.compile(
    rf"[ \u00a0]+(?:{'|'.join(_STREET_SUFFIXES)}|street|road|lane)(?!\w)", re.IGNORECASE
)


def _is_name_word(word: str) -> bool:
    """Tell whether ``word`` can be part of a person's name: capitalised and not a known word."""
    if len(word) < 2 or not word[0].isupper():
        return False
    key = _fold(word)
    if key in _NOT_NAMES or key.startswith(_PLACE_PREFIXES):
        return False
    if any(ch.islower() for ch in word[1:]):
        return True
    # Belgian letters often write surnames in capitals ("M. DUPONT"); acronyms are in the lists.
    return len(word) >= 3


def _name_end(text: str, pos: int, *, gap_first: bool, leading_particles: bool) -> int | None:
    """Return where a name starting at ``pos`` ends, or None when no name word is there."""
    end: int | None = None
    i = pos
    need_gap = gap_first
    for _ in range(_MAX_NAME_TOKENS):
        m = _NEXT_WORD.match(text, i) if need_gap else _WORD.match(text, i)
        if m is None:
            break
        word = m.group(1) if need_gap else m.group()
        need_gap = True
        # Particles ("Van den Bossche", "de la Fontaine") count only if a name word follows.
        if _fold(word) in _PARTICLES and (leading_particles or end is not None):
            i = m.end()
            continue
        if not _is_name_word(word):
            break
        end = i = m.end()
    return end


def _lowercase_name_end(text: str, pos: int) -> int | None:
    """Return the end of up to two lowercase words at ``pos`` that can be a name."""
    end: int | None = None
    i = pos
    for pattern in (_WORD, _NEXT_WORD):
        m = pattern.match(text, i)
        if m is None:
            break
        word = m.group(m.lastindex or 0)
        key = _fold(word)
        if len(word) < 2 or not word.islower() or key in _FUNCTION_WORDS or key in _NOT_NAMES:
            break
        end = i = m.end()
    return end


def _plausible_name(text: str, start: int, end: int) -> bool:
    """Reject a name candidate that is really part of a street name."""
    if _STREET_BEFORE.search(text, max(0, start - 40), start):
        return False
    last = _fold(text[start:end].split()[-1])
    if last.endswith(_STREET_SUFFIXES) and last not in _NOT_STREETS:
        return False
    return _STREET_AFTER.match(text, end) is None


def _cued_names(text: str) -> Iterator[tuple[int, int, int]]:
    """Yield (cue start, name start, name end) for names announced by a cue."""
    for m in _TITLE_CUE.finditer(text):
        end = _name_end(text, m.end(), gap_first=False, leading_particles=True)
        if end is not None:
            yield m.start(), m.end(), end
    for pattern in (_INTRO_CUE, _RELATION_CUE):
        for m in pattern.finditer(text):
            end = _name_end(text, m.end(), gap_first=False, leading_particles=False)
            if end is None:
                continue
            yield m.start(), m.end(), end
            # "mes employées Sarah et Fatima": the cue covers the whole list.
            more = _AND_NEXT.match(text, end)
            while more is not None:
                next_end = _name_end(text, more.end(), gap_first=False, leading_particles=False)
                if next_end is None:
                    break
                yield m.start(), more.end(), next_end
                more = _AND_NEXT.match(text, next_end)
    for m in _NAMING_CUE.finditer(text):
        end = _lowercase_name_end(text, m.end())
        if end is not None:
            yield m.start(), m.end(), end
    for m in _PRESENT_CUE.finditer(text):
        end = _name_end(text, m.end(), gap_first=False, leading_particles=False)
        if end is not None and _FROM_AFTER.match(text, end):
            yield m.start(), m.end(), end
    for m in _SIGNATURE_DASH.finditer(text):
        end = _name_end(text, m.end(), gap_first=False, leading_particles=False)
        if end is None or not _SIGNATURE_END.match(text, end):
            continue
        # A lone hyphen also ends bullet lists ("- Parking"): trust it only before a first name.
        first = _WORD.match(text, m.end())
        if m.group().strip() == "-" and (
            first is None or _fold(first.group()) not in _FIRST_NAMES
        ):
            continue
        yield m.start(), m.end(), end


def _paired_names(text: str) -> Iterator[tuple[int, int]]:
    """Yield "Firstname Lastname" pairs whose first name is a common one."""
    for m in _WORD.finditer(text):
        word = m.group()
        if not word[0].isupper() or _fold(word) not in _FIRST_NAMES:
            continue
        end = _name_end(text, m.end(), gap_first=True, leading_particles=True)
        if end is None or " ".join(_fold(text[m.start() : end]).split()) in _BRANDS:
            continue
        yield m.start(), end


def _names(text: str) -> Iterator[Redaction]:
    """Yield person names after cues (titles, introductions, relations, signatures) or pairs."""
    for cue_start, start, end in _cued_names(text):
        if _plausible_name(text, cue_start, end):
            yield Redaction(Kind.NAME, start, end)
    for start, end in _paired_names(text):
        if _plausible_name(text, start, end):
            yield Redaction(Kind.NAME, start, end)


_DETECTORS: tuple[Callable[[str], Iterator[Redaction]], ...] = (
    _emails,
    _urls,
    _handles,
    _ibans,
    _phones,
    _house_numbers,
    _names,
)

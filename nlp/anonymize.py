"""Find and hide personal data in shopkeepers' free text before it is quoted to partners.

Detection is rule-based (regular expressions, word lists and checksums; no model, nothing to
download). Digit groups that may be phone numbers are checked against libphonenumber's
numbering plans (``phonenumbers``); IBANs, national register numbers and enterprise numbers
are checked with ``python-stdnum``. It errs on the side of keeping what is public and useful to
partners: street names, communes, organisations, prices, dates, hours, postal codes and
enterprise (VAT) numbers stay; e-mail addresses, phone numbers, IBANs, national register
numbers, links, handles, person names announced by a cue and house numbers are replaced by
language-neutral placeholders such as ``[phone]``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.be import bis as stdnum_bis
from stdnum.be import nn as stdnum_nn
from stdnum.be import vat as stdnum_vat

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
    NATIONAL_NUMBER = "national_number"
    URL = "url"
    HANDLE = "handle"
    NAME = "name"
    HOUSE_NUMBER = "house_number"


PLACEHOLDERS: Mapping[Kind, str] = {
    Kind.EMAIL: "[email]",
    Kind.PHONE: "[phone]",
    Kind.IBAN: "[iban]",
    Kind.NATIONAL_NUMBER: "[national-number]",
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
    # reported as a link and the digits of an IBAN or a national number never as a phone number.
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

_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}")
# The rest of a candidate: letters and digits, a single space or hyphen allowed between two.
_IBAN_BODY = re.compile(r"(?:[ \u00a0-]?[A-Za-z0-9])+")
_IBAN_SEPARATORS = " \u00a0-"
_IBAN_MIN_LENGTH, _IBAN_MAX_LENGTH = 15, 34


def iban_is_valid(candidate: str) -> bool:
    """Check an IBAN's country, length, layout and mod-97 checksum, ignoring spaces."""
    compact = "".join(ch for ch in candidate if ch not in _IBAN_SEPARATORS)
    # No country check: stdnum's list of Belgian bank codes lags behind new banks, and an IBAN
    # of a bank it does not know yet would then leak.
    return compact.isascii() and stdnum_iban.is_valid(compact, check_country=False)


def _ibans(text: str) -> Iterator[Redaction]:
    """Yield IBANs whose length and checksum are right, written with or without spaces."""
    for m in _IBAN_START.finditer(text):
        body = _IBAN_BODY.match(text, m.end())
        end = body.end() if body else m.end()
        # More may follow a space ("BE68 5390 0754 7034 2024"): try each cut, longest first.
        cuts = [end, *(i for i in range(end - 1, m.end(), -1) if text[i] in _IBAN_SEPARATORS)]
        for cut in cuts:
            candidate = text[m.start() : cut]
            size = sum(ch not in _IBAN_SEPARATORS for ch in candidate)
            if _IBAN_MIN_LENGTH <= size <= _IBAN_MAX_LENGTH and iban_is_valid(candidate):
                yield Redaction(Kind.IBAN, m.start(), cut)
                break


# --------------------------------------------------------------------------- national numbers

# YY.MM.DD-NNN.CC. The lookbehind follows the first digit so that the regex engine jumps from
# digit to digit instead of trying every position (half the time on ordinary messages).
_NATIONAL_NUMBER = re.compile(
    r"\d(?<![\w.,/+-]\d)\d[. ]?\d{2}[. ]?\d{2}[. -]?\d{3}[. -]?\d{2}(?!\w|[.,/-]\d)"
)


def _national_numbers(text: str) -> Iterator[Redaction]:
    """Yield Belgian national register (and BIS) numbers whose birth date and checksum hold."""
    for m in _NATIONAL_NUMBER.finditer(text):
        if stdnum_nn.is_valid(m.group()) or stdnum_bis.is_valid(m.group()):
            yield Redaction(Kind.NATIONAL_NUMBER, m.start(), m.end())


# --------------------------------------------------------------------------- phones

_HOME_REGION = "BE"
# Numbers written the national way in the countries Brussels shopkeepers call most. Luxembourg
# has no trunk "0", so its national form cannot be told from other digits.
_FOREIGN_REGIONS = ("FR", "NL", "DE", "GB")
_COUNTRY_CODES = {
    region: phonenumbers.country_code_for_region(region)
    for region in (_HOME_REGION, *_FOREIGN_REGIONS)
}
# Digits, trunk 0 included, of a number written the national way: Belgian, then foreign. Four in
# five strings of 10 to 12 digits starting with 0 are valid German or French numbers to
# libphonenumber, so abroad it is mostly the length that decides.
_HOME_DIGITS = (9, 10)
_FOREIGN_DIGITS = (10, 12)
# The fewest digits, country code included, of a number worth a look: libphonenumber deems
# "00 49 97 07" a possible German number, but such short ones are rarely phone numbers.
_PHONE_MIN_DIGITS = 8
# Digit groups that may hold phone numbers, starting with "+32", "0470" or "(02)". This scan
# stays ours: libphonenumber's PhoneNumberMatcher found nothing more in a realistic batch of
# messages and took about three times as long; the library decides which groups are numbers.
_PHONE_RUN = re.compile(
    r"(?<![\w+])(?<!\d[.,])(?:\+[ \u00a0]?\d+|\(0\d{1,3}\)|\d+)"
    r"(?:(?:[ \u00a0]?[./-][ \u00a0]?|[ \u00a0]?\([ \u00a0]?0[ \u00a0]?\)[ \u00a0]?|[ \u00a0])"
    r"\d+)*"
)
_PHONE_PART = re.compile(r"\([ \u00a0]?0[ \u00a0]?\)|\d+")
_PHONE_MAX_GROUPS = 8
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
_DOTTED_ENTERPRISE_NUMBER = re.compile(r"[01]\d{3}\.\d{3}\.\d{3}")
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


def _dialled_number(digits: str, *, international: bool, foreign: bool) -> bool:
    """Tell whether libphonenumber (or, for Belgian landlines, their length) makes it a number."""
    if international:
        try:
            number = phonenumbers.parse("+" + digits.removeprefix("00"))
        except phonenumbers.NumberParseException:
            return False
        # The country code is a strong sign: the right length for that country is enough.
        return phonenumbers.is_possible_number(number)
    # Building the number from the digits after the trunk 0 is what parse() would do for these
    # regions, at a fifth of the cost.
    national = int(digits[1:])
    for region in _FOREIGN_REGIONS if foreign else (_HOME_REGION,):
        number = phonenumbers.PhoneNumber(
            country_code=_COUNTRY_CODES[region], national_number=national
        )
        if phonenumbers.is_valid_number(number):
            return True
    # libphonenumber refuses landlines in ranges not yet given out ("02 912 34 56"), but one
    # typed wrong or newly given out still reaches a person: every 0 + 8 digits counts.
    return not foreign and len(digits) == _HOME_DIGITS[0]


def _phone_context_ok(text: str, start: int, end: int, *, international: bool) -> bool:
    """Tell whether what surrounds a number-shaped span lets it be a phone number."""
    rest = text[end : end + 8]
    if rest[:1].isalnum() or _AFTER_NUMBER_UNIT.match(rest):
        return False
    if international:
        return True
    before = text[max(0, start - 40) : start]
    if _VAT_CUE.search(before):
        return False
    # 0123.456.749 is how enterprise (VAT) numbers are written, some starting with 045-049 like
    # mobiles: a right checksum makes it the company's public number, unless called a phone.
    written = text[start:end]
    return not (
        _DOTTED_ENTERPRISE_NUMBER.fullmatch(written)
        and stdnum_vat.is_valid(written)
        and not _PHONE_CUE.search(before)
    )


def _phone_span(
    text: str, run: re.Match[str], groups: list[_Group], first: int, last: int, *, foreign: bool
) -> tuple[int, int] | None:
    """Return the span of groups ``first..last`` if they form a phone number."""
    part = groups[first : last + 1]
    digits = "".join(g.digits for g in part)
    plus = first == 0 and run.group().startswith("+")
    # The run's start takes in a "+" or the "(" of "(02)".
    start = run.start() if first == 0 else part[0].start
    end = part[-1].end
    # Country codes never start with 0: "000497068" is no call abroad.
    international = plus or (digits.startswith("00") and digits[2:3] not in ("", "0"))
    if international:
        # The country code says where the number is from: the first look settles it.
        if foreign or len(digits.removeprefix("00")) < _PHONE_MIN_DIGITS:
            return None
    else:
        if any(g.trunk for g in part) or not digits.startswith("0") or digits[1:2] == "0":
            return None
        low, high = _FOREIGN_DIGITS if foreign else _HOME_DIGITS
        if not low <= len(digits) <= high or len(part[0].digits) < 2:
            return None
        lengths = [len(g.digits) for g in part]
        separators = [g.separator for g in part[1:]]
        # "02/03/2024 9": a date followed by a number adds up to nine digits starting with 0.
        if (
            len(part) >= 3
            and lengths[0] <= 2
            and lengths[1] <= 2
            and lengths[2] == 4
            and all(s.strip() for s in separators[:2])
        ):
            return None
    if not _phone_context_ok(text, start, end, international=international):
        return None
    if not _dialled_number(digits, international=international, foreign=foreign):
        return None
    return start, end


def _phones_in_run(text: str, run: re.Match[str]) -> Iterator[Redaction]:
    """Yield the phone numbers inside one run of digit groups, longest first from each start."""
    groups = _phone_groups(text, run)
    first = 0
    while first < len(groups):
        # A number can start inside a run only after a blank ("le 12 0470 12 34 56") or a spaced
        # dash or slash ("0470 12 34 56 / 06 12 34 56 78"), never inside "0470/12.34.56".
        separator = groups[first].separator
        spaced = separator[:1].isspace() and separator[-1:].isspace()
        if first > 0 and ((separator.strip() and not spaced) or groups[first].trunk):
            first += 1
            continue
        # The longest valid number wins ("0470 12 34 56" rather than "0470 12 34"), Belgian
        # first so that German numbering's leeway never swallows the year after a number.
        span = None
        for foreign in (False, True):
            for last in range(min(len(groups), first + _PHONE_MAX_GROUPS) - 1, first - 1, -1):
                span = _phone_span(text, run, groups, first, last, foreign=foreign)
                if span is not None:
                    break
            if span is not None:
                break
        if span is None:
            first += 1
            continue
        yield Redaction(Kind.PHONE, *span)
        first = last + 1


def _phones(text: str) -> Iterator[Redaction]:
    """Yield Belgian and international phone numbers, leaving prices, dates and times."""
    for run in _PHONE_RUN.finditer(text):
        if sum(ch.isdigit() for ch in run.group()) >= _PHONE_MIN_DIGITS:
            yield from _phones_in_run(text, run)


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
    _national_numbers,
    _phones,
    _house_numbers,
    _names,
)

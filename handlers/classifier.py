"""Route a citizen's question to the department that can answer it.

The router is a multinomial naive Bayes model over word stems. Its training data is the
departments file itself (name, scope, keywords and example questions of each department)
plus the questions experts re-routed to another department (`Classifier.learn`). It was
chosen over anything larger because it has to run on city servers without internet and
without model downloads, classify thousands of questions per second on one core, and let an
expert see why a question went where it went: every word's vote is a table look-up.

Chat German defeats exact word matching, so the text is normalised first:

* case, umlauts and their ASCII spellings are folded to one form (``Müll``, ``Muell`` and
  ``muell`` become ``mull``), as are ``ß`` and ``ss``;
* stopwords (German and English) and the place names of the city and the county of Würzburg
  are dropped: "in Heidingsfeld" says nothing about the topic of a question;
* inflections are stripped by a light suffix stemmer (``Ampeln`` and ``Ampel``, ``Kindern``
  and ``Kind``, ``tickets`` and ``ticket`` meet);
* compounds the departments file does not know are split into parts it does know
  (``Radwegebeleuchtung`` becomes ``radweg`` + ``beleuchtung``); of a compound that cannot be
  split completely the known first and last parts are kept (``Dallenbergbad`` is a ``bad``,
  a ``Klimaschutzkonzept`` is about ``klimaschutz``), unless it ends like a street or square,
  which only says where, not what (``Domstraße``, ``Barbarossaplatz``);
* an unknown word one typo (insertion, deletion, substitution or transposition) away from a
  known one is read as that word (``wohngled`` as ``wohngeld``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

CONFIDENT = 0.5
"""Route at once from this confidence up; below it, offer the citizen the top candidates.

It separates clear from unclear questions: on the evaluation sets in `bench/data`, 89-92 %
of the questions reach it and 96-97 % of those go to the right department, while the top
choice for the rest is right only about half of the time (`python -m bench.classify`).
"""

# How much each source of a department's text counts. The name and scope are short and
# central; keywords are the bulk of the vocabulary; an expert's correction is the most
# trustworthy evidence there is, so it counts most.
WEIGHT_NAME = 3.0
WEIGHT_SCOPE = 2.0
WEIGHT_KEYWORD = 1.0
WEIGHT_EXAMPLE = 0.5
WEIGHT_LEARNED = 3.0

# Additive smoothing and the total (weighted) word count every department profile is scaled
# to, so that a department with a long keyword list is not penalised for it.
SMOOTHING = 0.1
PROFILE_MASS = 300.0
# Temperature of the softmax that turns summed log-likelihoods into a confidence. With the
# smoothing above, the plain posterior (1.0) is close to calibrated on the development set and
# slightly under-confident there, which suits questions harder than our own; raise it to
# route fewer questions at once, lower it to route more.
TEMPERATURE = 1.0

_MIN_PART = 3
_MIN_PARTIAL = 4
_MIN_FUZZY = 6
_LINKERS = ("s", "n", "e", "en", "er", "es", "ns")
_STREET_HEADS = frozenset(
    {"strasse", "str", "gasse", "allee", "ring", "weg", "steig", "pfad", "kai", "platz", "ufer"}
)
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HINT = re.compile(r"^\s*#([^\s#]+)")
_DIGRAPHS = (("ae", "a"), ("oe", "o"), ("ue", "u"))
_SUFFIX_ENDS = frozenset("egmnrs")  # the last letters of every ending `stem` removes
# English words the German endings would turn into other words ("care" into "car").
_UNSTEMMED = frozenset({"care"})


def fold(text: str) -> str:
    """Lower-case, strip accents and umlauts, and map ae/oe/ue/ß to the same form.

    Umlauts become their base vowel rather than the ASCII digraph, so that umlaut plurals meet
    their singular (``Plätze``/``Platz``, ``Bäume``/``Baum``); for the same reason the
    digraphs ``ae``, ``oe`` and ``ue`` are folded too. Some words that never had an umlaut
    change as well (``neue`` becomes ``neu``), which is harmless because queries and the
    training text are folded alike.
    """
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char))
    for digraph, vowel in _DIGRAPHS:
        text = text.replace(digraph, vowel)
    return text


def _folded(words: str) -> frozenset[str]:
    return frozenset(fold(words).split())


# Words that say nothing about a topic: function words, question words, chat filler and the
# verbs every question uses ("gibt es", "beantragen", "zuständig"), folded. "main" is the
# river and the English adjective alike.
STOPWORDS = _folded(
    """
    a ab aber ach acht alle allem allen aller alles als also alt alte alten alter am an
    ander andere anderem anderen anderer anderes anders anmelden anmeldung ansprechpartner
    auch auf aufs aus bald beantrage beantragen beantragt bei beide beim bekomm bekomme
    bekommen bekommt billig bin bis bisher bist bitte brauche brauchen braucht bzw ca da
    dabei dafür daher damit dank danke dann dar daran darauf darüber darum das dass dasselbe
    dauer dauern dauert dazu dein deine deinem deinen deiner dem den denen denn der deren
    des deshalb dessen die dies diese diesem diesen dieser dieses doch dort dran drauf drei
    drin dringend drum du durch eben eh ehm eig eigentlich ein eine einem einen einer eines
    einfach einige einmal eins einzige endlich er erlaubt es etc etwa etwas etz euch euer
    eure evtl fast fehlen fehlt fei find finden frage fragen fünf für fürs gab ganz gar
    geben gefunden gegen gehen geht gell gemacht gemeinde genau geplant gerade gern gerne
    gestellt gestern gesucht gewesen gibt gibts ging gleich groß große großen günstig
    günstige günstiger gut gute guten hab habe haben hallo halt hat hätte hatten helfen
    heute hey hi hier hilfe hilft hin hinter hoch hohe hoher ich ihm ihn ihnen ihr ihre
    ihrem ihren ihrer im immer in info information informationen infos ins irgendwie
    irgendwo isch ist ja jahr jahre jahren je jede jedem jeden jeder jedes jemand jetzt kann
    kannst kaputt kein keine keinem keinen keiner klein kleine kleinen können konnte konnten
    kosten kostet kreis kriegen kümmert landkreis lang lange langer lassen leider liegen
    liegt los mach machen macht mal man manche mehr mein meine meinem meinen meiner melden
    meldet mer mich minuten mir mit möglich moin monat monate monaten morgen muss müssen
    musste nach nächste nähe ne ned nee nehmen nem nen ner net neu neuen neuer nicht nichts
    nie nimmt nix noch nun nur ob oder öffnungszeit öffnungszeiten ohne ok okay ort orte
    orten problem probleme rein sag sagen schlecht schon sechs sehen sehr sei seid sein
    seine seinem seinen seiner seit seitdem servus sich sie sieben sieht sind so soll sollen
    sollte sollten sondern sowas stadt stadtteil statt stelle stellen stellt stimmt stunde
    stunden suche suchen sucht tag tage tagen termin termine teuer teurer thema über übers
    uhr um und uns unser unsere unserem unseren unserer unter unterstützen unterstützung usw
    viel viele vielen vielleicht vier vom von vor wann war wäre waren warum was weil weit
    welche welchem welchen welcher welches wem wen wenn wer werden weshalb wie wieder wieso
    wieviel will wir wird wirklich wo woche wochen wohl wollen wollte wurde wurden zb zehn
    zu zum zur zuständig zuständigkeit zwar zwei zwischen
    about after again all already and any anyone anything are as at be been before big but
    by can cannot cant city could did do done dont does doesn enough for from get gets
    getting go going got had has have having hello help here how i if into is isn it its
    just know let like main me more most much my near nearest need new no not now of off
    often on one only open or other our out over please really run runs s should since some
    someone something still t than thank thanks that the their them then there these they
    this those to today too town up us very want we were what when where which who why with
    would yes yet you your
    """
)

PLACE_NAMES = frozenset(
    variant
    for name in _folded(
        """
        wurzburg wu altstadt zellerau durrbachtal grombuhl lindleinsmuhle frauenland sanderau
        heidingsfeld heuchelhof steinbachtal versbach lengfeld rottenbauer mainviertel pleich
        hubland keesburg oberdurrbach unterdurrbach durrbachau sieboldshohe
        altertheim aub bergtheim bieberehren butthard eibelstadt eisenheim eisingen erlabrunn
        estenfeld frickenhausen gaukonigshofen gelchsheim gerbrunn geroldshausen giebelstadt
        greussenheim guntersleben hausen helmstadt hettstadt hochberg holzkirchen kirchheim
        kist kleinrinderfeld kurnach leinach margetshochheim neubrunn oberpleichfeld
        ochsenfurt prosselsheim randersacker reichenberg remlingen riedenheim rimpar rottendorf
        rottingen sommerhausen sonderhofen tauberrettersheim theilheim thungersheim uettingen
        unterpleichfeld veitshochheim waldbrunn waldbuttelbrunn winterhausen zell
        lindelbach gossmannsdorf tuckelhausen hopferstadt innenstadt stadtmitte zentrum
        downtown
        """
    )
    for variant in (name, name + "er", name + "s", name + "ern")
)
"""Districts of Würzburg, municipalities (and a few villages) of the Landkreis Würzburg and
words for the town centre, folded, with their adjective and genitive forms (``Würzburger``,
``Höchbergs``). "In der Innenstadt" is asked about parking, shops and trees alike."""


def stem(word: str) -> str:
    """Strip German (and a few English) inflection suffixes from a folded word.

    Deliberately light: it only has to make the inflected forms of one word meet, not find
    linguistic roots, and over-stripping is harmless as long as queries and training text are
    stemmed alike. A trailing double letter is collapsed so that ``Bus``/``Busse`` and
    ``Fuß``/``Füße`` meet.
    """
    word = _strip_suffixes(word)
    if len(word) > 3 and word[-1] == word[-2]:
        word = word[:-1]
    return word


def _strip_suffixes(word: str) -> str:
    """Remove up to two inflection endings (``Kindern`` -> ``kinder`` -> ``kind``).

    A bare ``-n`` is only an ending after ``l`` or ``r`` (``Ampeln``, ``Federn``), never in
    ``Bahn`` or ``Termin``; a bare ``-s`` never after ``s``, ``u`` or ``i`` (``Bus``, ``Haus``,
    ``Kreis``).
    """
    if len(word) <= 3 or word[-1] not in _SUFFIX_ENDS or not word.isalpha():
        return word
    for suffix, replacement in (
        ("ungen", "ung"),
        ("heiten", "heit"),
        ("keiten", "keit"),
        ("nissen", "nis"),
        ("nisse", "nis"),
        ("innen", ""),
        ("ies", "y"),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) + len(replacement) >= 4:
            word = word[: -len(suffix)] + replacement
            break
    for _ in range(2):
        if word in _UNSTEMMED:
            break
        for suffix in ("ern", "em", "en", "er", "es", "ing", "e", "n", "s"):
            if (
                word.endswith(suffix)
                and len(word) - len(suffix) >= 3
                and not (suffix == "n" and word[-2] not in "lr")
                and not (suffix == "s" and word[-2] in "siu")
            ):
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


# Inflected stopwords ("Landkreises", "Informationen") are noise too; short stems are left
# out because they collide with real words ("nur" with "nurse", "mus" from "muss" with "Museen").
_STREET_STEMS = frozenset(stem(head) for head in _STREET_HEADS)
_STOP_STEMS = frozenset(stem(word) for word in STOPWORDS if len(stem(word)) >= 4)


def _tokens(text: str) -> list[str]:
    """Folded words; a hyphenated word of letters is one word (``E-Auto`` is ``eauto``)."""
    words: list[str] = []
    for match in _WORD.findall(fold(text)):
        joined = match.replace("-", "")
        if "-" in match and not joined.isalpha():
            words.extend(match.split("-"))
        else:
            words.append(joined)
    return words


def _is_noise(word: str, stemmed: str) -> bool:
    """Too short, a number, a stopword (in any inflection) or a place name."""
    return (
        len(word) < 2
        or word.isdigit()
        or word in STOPWORDS
        or word in PLACE_NAMES
        or stemmed in _STOP_STEMS
    )


def _osa_distance_at_most_one(a: str, b: str) -> bool:
    """True if `a` and `b` differ by at most one insertion, deletion, substitution or swap."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    if len(a) == len(b):
        if a[prefix + 1 :] == b[prefix + 1 :]:
            return True
        return (
            prefix + 1 < len(a)
            and a[prefix] == b[prefix + 1]
            and a[prefix + 1] == b[prefix]
            and a[prefix + 2 :] == b[prefix + 2 :]
        )
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[prefix + 1 :] == shorter[prefix:]


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class _Lexicon:
    """The words the router has seen, for splitting compounds and correcting typos.

    `stems` counts the stems of the training words. A compound may start with a training word
    as written, stemmed, or stemmed without its collapsed double letter (``schadstoff`` in
    ``Schadstoffmobil``, learnt from ``Schadstoffe``), and end in any known stem or in the
    last part of a known compound (``ständer`` from ``Fahrradständer`` splits ``Radständer``).
    `_near` maps each stem and each of its one-letter deletions back to the stem (the
    symmetric-deletion index of SymSpell), so that finding the known words one typo away from
    a word costs a handful of dictionary look-ups instead of a vocabulary scan.
    """

    def __init__(self) -> None:
        self.stems: Counter[str] = Counter()
        self._surfaces: set[str] = set()
        self._starts: set[str] = set()
        self._heads: set[str] = set()
        self._near: dict[str, set[str]] = {}

    def add(self, text: str) -> None:
        """Learn the words of `text`; call `derive_heads` after the last text of a batch."""
        for word in _tokens(text):
            stemmed = stem(word)
            if _is_noise(word, stemmed):
                continue
            if stemmed not in self.stems and len(stemmed) >= _MIN_FUZZY - 1:
                for variant in {stemmed} | _deletions(stemmed):
                    self._near.setdefault(variant, set()).add(stemmed)
            self.stems[stemmed] += 1
            self._surfaces.add(word)
            self._heads.add(stemmed)
            self._starts.update(
                part
                for part in (word, stemmed, _strip_suffixes(word))
                if len(part) >= _MIN_PART and part not in STOPWORDS
            )

    def derive_heads(self) -> None:
        """Learn the last parts of known compounds: the rest after their longest known start."""
        for word in self._surfaces:
            start = next(
                (
                    end
                    for end in range(len(word) - _MIN_PARTIAL, _MIN_PART - 1, -1)
                    if word[:end] in self._starts
                ),
                None,
            )
            if start is None:
                continue
            rest = word[start:]
            self._heads.add(stem(rest))
            for link in _LINKERS:
                if rest.startswith(link) and len(rest) - len(link) >= _MIN_PARTIAL:
                    self._heads.add(stem(rest[len(link) :]))

    def words(self, text: str) -> list[str]:
        """The normalised words of `text`: see the module docstring for the steps."""
        raw = _tokens(text)
        result: list[str] = []
        index = 0
        while index < len(raw):
            # "bayern id", "e auto", "glas faser": two words the departments file writes as one.
            if (
                index + 1 < len(raw)
                and raw[index] not in STOPWORDS
                and raw[index + 1] not in STOPWORDS
                and stem(raw[index] + raw[index + 1]) in self.stems
            ):
                result.append(stem(raw[index] + raw[index + 1]))
                index += 2
                continue
            result.extend(self.resolve(raw[index]))
            index += 1
        return result

    def resolve(self, word: str) -> list[str]:
        """The stems one folded word stands for: itself, its parts, a correction, or nothing."""
        stemmed = stem(word)
        if _is_noise(word, stemmed):
            return []
        if stemmed in self.stems:
            return [stemmed]
        parts = self.split(word)
        if parts:
            return parts
        corrected = self.correct(stemmed)
        if corrected:
            return [corrected]
        parts = self.partial(word)
        return [stemmed] if parts is None else parts

    def split(self, word: str) -> list[str] | None:
        """Split a compound into known parts, preferring the fewest parts (longest matches).

        Parts may be joined by a linking element (Fugen-s, -n, -e ...), as in
        ``Verkehr-s-führung`` or ``Radweg-e-beleuchtung``.
        """
        length = len(word)
        if length < 2 * _MIN_PART or not word.isalpha():
            return None
        # best[i]: (cost, stems) of the cheapest split of word[i:], or None if there is none.
        best: list[tuple[float, tuple[str, ...]] | None] = [None] * (length + 1)
        for start in range(length - _MIN_PART, -1, -1):
            tail = stem(word[start:])
            candidate = (1.0, (tail,)) if tail in self._heads and start > 0 else None
            for end in range(start + _MIN_PART, length - _MIN_PART + 1):
                piece = word[start:end]
                if piece not in self._starts:
                    continue
                for link in ("", *_LINKERS):
                    rest = end + len(link)
                    if link and not word.startswith(link, end):
                        continue
                    following = best[rest]
                    if following is None:
                        continue
                    cost = 1.0 + following[0] + (0.1 if link else 0.0)
                    if candidate is None or cost < candidate[0]:
                        candidate = (cost, (stem(piece), *following[1]))
            best[start] = candidate
        found = best[0]
        return list(found[1]) if found is not None and len(found[1]) > 1 else None

    def correct(self, stemmed: str) -> str | None:
        """The most frequent known stem one typo away from `stemmed`, if there is one."""
        if len(stemmed) < _MIN_FUZZY or not stemmed.isalpha():
            return None
        candidates = {
            known
            for variant in {stemmed} | _deletions(stemmed)
            for known in self._near.get(variant, ())
            if _osa_distance_at_most_one(stemmed, known)
        }
        if not candidates:
            return None
        return max(sorted(candidates), key=lambda known: self.stems[known])

    def partial(self, word: str) -> list[str] | None:
        """The known first and last part of a compound whose middle or rest is unknown.

        The last part (the head) says what a thing is (``Dallenberg|bad``), the first part
        often which domain it belongs to (``Klimaschutz|konzept``, ``Senioren|nachmittag``).
        A compound ending in a street-like head (``Domstraße``, ``Barbarossaplatz``) names a
        place and says nothing about the topic, so it yields nothing (an empty list); None
        means that no part is known.
        """
        if len(word) < 2 * _MIN_PARTIAL - 1 or not word.isalpha():
            return None
        if any(word.endswith(street) for street in _STREET_HEADS):
            return []
        head = next(
            (
                word[start:]
                for start in range(_MIN_PART, len(word) - _MIN_PART + 1)
                if word[start:] in self._surfaces
                or (len(word) - start > _MIN_PARTIAL and stem(word[start:]) in self._heads)
            ),
            None,
        )
        if head is not None and stem(head) in _STREET_STEMS:
            return []
        modifier = next(
            (
                word[:end]
                for end in range(len(word) - _MIN_PART, _MIN_PARTIAL - 1, -1)
                if word[:end] in self._starts
            ),
            None,
        )
        found = [stem(part) for part in (modifier, head) if part is not None]
        return found or None


def normalise(text: str) -> list[str]:
    """Fold, tokenise, drop stopwords and place names, and stem, without any vocabulary.

    `Classifier.normalise` does this and also splits compounds and corrects typos against the
    words the departments file knows.
    """
    stems = ((word, stem(word)) for word in _tokens(text))
    return [stemmed for word, stemmed in stems if not _is_noise(word, stemmed)]


class DepartmentLike(Protocol):
    """What the router reads of a department (`bot.config.Department` has all of it)."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def scope(self) -> str: ...

    @property
    def keywords(self) -> Sequence[str]: ...

    @property
    def examples(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Classification:
    """Where a question should go, how sure the router is, and the alternatives, best first."""

    department: str
    confidence: float
    candidates: tuple[str, ...]


class Classifier:
    """Naive Bayes over normalised words, trained on the departments file and corrections."""

    def __init__(
        self,
        departments: Iterable[DepartmentLike],
        learned: Iterable[tuple[str, str]] = (),
    ) -> None:
        departments = tuple(departments)
        if len(departments) < 2:
            raise ValueError("The router needs at least two departments to choose between.")
        self._ids = tuple(department.id for department in departments)
        self._index = {dep_id: position for position, dep_id in enumerate(self._ids)}
        self._lexicon = _Lexicon()
        self._counts: list[Counter[str]] = [Counter() for _ in self._ids]
        self._weights: dict[str, tuple[float, ...]] = {}
        # (department, texts, weight): a word counts once per source, so that listing "Bus",
        # "Busse" and "bus" as keywords does not make "bus" weigh three times as much.
        sources: list[tuple[int, Sequence[str], float]] = []
        for position, department in enumerate(departments):
            sources.append((position, (department.name,), WEIGHT_NAME))
            sources.append((position, (department.scope,), WEIGHT_SCOPE))
            sources.append((position, department.keywords, WEIGHT_KEYWORD))
            sources.extend(
                (position, (example,), WEIGHT_EXAMPLE) for example in department.examples
            )
        for text, department_id in learned:
            sources.append((self._position(department_id), (text,), WEIGHT_LEARNED))
        # Learn every word first, so that compounds in the training text are split the same
        # way as in questions.
        for _, texts, _ in sources:
            for text in texts:
                self._lexicon.add(text)
        self._lexicon.derive_heads()
        for position, texts, weight in sources:
            self._count(position, texts, weight)
        self._update_weights()
        self._hints = self._build_hints(departments)

    @property
    def departments(self) -> tuple[str, ...]:
        """The department ids, in the order of the departments file."""
        return self._ids

    def normalise(self, text: str) -> list[str]:
        """The words of `text` as the router sees them (compounds split, typos corrected)."""
        return self._lexicon.words(text)

    def classify(self, text: str) -> Classification:
        """Rank every department for `text`; a text without known words ranks them in file order."""
        scores = [0.0] * len(self._ids)
        for word in self._lexicon.words(text):
            weights = self._weights.get(word)
            if weights is not None:
                scores = [score + weight for score, weight in zip(scores, weights, strict=True)]
        top = max(scores)
        exps = [math.exp((score - top) / TEMPERATURE) for score in scores]
        total = sum(exps)
        ranking = sorted(range(len(self._ids)), key=lambda position: -scores[position])
        return Classification(
            department=self._ids[ranking[0]],
            confidence=exps[ranking[0]] / total,
            candidates=tuple(self._ids[position] for position in ranking),
        )

    def learn(self, text: str, department_id: str) -> None:
        """Take an expert's correction: `text` belongs to `department_id`.

        Words already known are not re-split with the new vocabulary; the difference only
        matters for the rare compound that the new text makes splittable.
        """
        position = self._position(department_id)
        self._lexicon.add(text)
        self._lexicon.derive_heads()
        self._count(position, (text,), WEIGHT_LEARNED)
        self._update_weights()

    def route_hint(self, text: str) -> str | None:
        """The department a leading ``#abteilung`` names, as in ``!frage #mobilitaet ...``.

        Accepts the id, a word of the name (``#verkehr``, ``#Umwelt``, ``#mobilität``), a
        prefix of four or more letters of either (``#digital``) or a one-word keyword
        (``#schule``), as long as only one department fits.
        """
        match = _HINT.match(text)
        if match is None:
            return None
        word = fold(match.group(1)).strip(".,:;!?()")
        if len(word) < 2 or word.isdigit():
            return None
        for exact in (word, stem(word)):
            if exact in self._hints:
                found = self._hints[exact]
                return next(iter(found)) if len(found) == 1 else None
        if len(word) >= 4:
            prefixed = {
                dep_id
                for key, dep_ids in self._hints.items()
                if key.startswith(word)
                for dep_id in dep_ids
            }
            if len(prefixed) == 1:
                return next(iter(prefixed))
        return None

    def _position(self, department_id: str) -> int:
        try:
            return self._index[department_id]
        except KeyError:
            raise ValueError(f"Unknown department {department_id!r}.") from None

    def _count(self, position: int, texts: Sequence[str], weight: float) -> None:
        words = {word for text in texts for word in self._lexicon.words(text)}
        counts = self._counts[position]
        for word in words:
            counts[word] += weight

    def _update_weights(self) -> None:
        """Turn the counts into per-word log-likelihood vectors, one entry per department.

        Each department's counts are scaled to the same total before smoothing, so that a
        department is neither favoured nor penalised for the length of its keyword list.
        """
        vocabulary = set().union(*self._counts)
        denominator = PROFILE_MASS + SMOOTHING * len(vocabulary)
        scales = [PROFILE_MASS / max(sum(counts.values()), 1.0) for counts in self._counts]
        self._weights = {
            word: tuple(
                math.log((counts[word] * scale + SMOOTHING) / denominator)
                for counts, scale in zip(self._counts, scales, strict=True)
            )
            for word in vocabulary
        }

    @staticmethod
    def _build_hints(departments: Sequence[DepartmentLike]) -> dict[str, set[str]]:
        """Map folded ids, name words and one-word keywords (and their stems) to department ids."""
        hints: dict[str, set[str]] = {}
        keyword_hints: dict[str, set[str]] = {}
        for department in departments:
            for word in (fold(department.id), *_tokens(department.name)):
                stemmed = stem(word)
                if not _is_noise(word, stemmed):
                    for key in (word, stemmed):
                        hints.setdefault(key, set()).add(department.id)
            for keyword in department.keywords:
                words = _tokens(keyword)
                if len(words) == 1 and not _is_noise(words[0], stem(words[0])):
                    for key in (words[0], stem(words[0])):
                        keyword_hints.setdefault(key, set()).add(department.id)
        for key, dep_ids in keyword_hints.items():
            hints.setdefault(key, dep_ids)
        return hints

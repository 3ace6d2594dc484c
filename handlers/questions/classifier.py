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
* stopwords (German and English, including chat filler and generic verbs) and the place names
  of the city and the county of Würzburg are dropped: "in Heidingsfeld" says nothing about
  the topic of a question;
* inflections are stripped by a light suffix stemmer (``Ampeln`` and ``Ampel``, ``Kindern``
  and ``Kind``, ``tickets`` and ``ticket`` meet);
* compounds the departments file does not know are split into parts it does know
  (``Radwegebeleuchtung`` becomes ``radweg`` + ``beleuchtung``); of a compound that cannot be
  split completely the known first and last parts are kept (``Heuchelhofbad`` is a ``bad``,
  a ``Klimaschutzstrategie`` is about ``klimaschutz``), unless it ends like a street or
  square, which only says where, not what (``Domstraße``, ``Barbarossaplatz``);
* an unknown word one typo (insertion, deletion, substitution or transposition) away from a
  known one is read as that word (``wohngled`` as ``wohngeld``);
* two words that a keyword writes together or as a phrase are read as one (``bayern id``,
  ``care home``: "care" alone could be day care).

Then every word votes with its log-likelihood per department; the parts of a known compound
vote too, quietly (``Pflegeheimplatz`` also says ``pflegeheim``), and a word the router has
never seen in any form votes very quietly with its letter n-grams. The summed votes become a
calibrated confidence (`TEMPERATURE`), and `CONFIDENT` decides whether a question is routed
at once or the citizen chooses among the top three.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

CONFIDENT = 0.7
"""Route at once from this confidence up; below it, offer the citizen the top candidates.

The confidence is calibrated (see `TEMPERATURE`): a question routed with 0.7 goes to the
right department about seven times in ten. On the development set `routing-dev3.jsonl`
(once called held out, but the keywords were grown alongside it) 93 % of the questions
reach it and 98.5 % of those go to the right department; of the rest,
the top choice is right three times in four and the right department is among the three
offered in 24 of 25.
On the development sets with 40 % of the keywords removed (a stand-in for questions in words
the departments file does not list) about 89 % reach it and 97 % of those are right.
Measured with `python -m bench.classify --drop-keywords 0.4 --seed 1`.
"""

# How much each source of a department's text counts. The name and scope are short and
# central; keywords are the bulk of the vocabulary; an expert's correction is the most
# trustworthy evidence there is, so it counts most.
WEIGHT_NAME = 3.0
WEIGHT_SCOPE = 2.0
WEIGHT_KEYWORD = 1.0
WEIGHT_EXAMPLE = 0.5
WEIGHT_LEARNED = 3.0
# A word counts once per source, whatever its inflections ("Bus", "Busse", "bus"), plus a
# little for every further keyword entry it occurs in: "care" in a dozen care phrases says
# more about health than "care" in "day care" says about schools.
WEIGHT_REPEAT = 0.5
# A word that only example questions use (no name, scope, keyword or correction does) is
# usually phrasing ("fällt", "läuft", "Vater"), not topic: it counts this much less.
WEIGHT_PHRASING = 0.4
# The parts of a known compound vote besides the whole word ("Pflege|heim|platz"), quietly.
WEIGHT_PART = 0.3
# A word the router has never seen in any form (not even as a compound part or one typo
# away) votes with the mean log-likelihood of its letter 4- and 5-grams, taken from the
# known words. On the development sets with 40 % of the keywords removed, this puts about one
# question in a hundred more in first place and 1-2 more among the top three; on words the
# router knows, it never votes.
WEIGHT_BACKOFF = 1.0
GRAM_SMOOTHING = 0.5

# Additive smoothing and the total (weighted) word count every department profile is scaled
# to, so that a department with a long keyword list is not penalised for it.
SMOOTHING = 0.1
PROFILE_MASS = 300.0
# Temperature of the softmax that turns summed log-likelihoods into a confidence. Naive Bayes
# counts related words as independent evidence and the smoothing is arbitrary, so the plain
# posterior (1.0) is no probability: it was under-confident by 10-15 points. 0.6 minimises
# the log-loss on the development sets with 25-40 % of the keywords removed, where the mean
# confidence then matches the accuracy; on questions in known words it stays a little
# under-confident (mean 0.92 at 97 % top-1 on `routing-dev3.jsonl`).
TEMPERATURE = 0.6

_MIN_PART = 3
_MIN_PARTIAL = 4
_MIN_FUZZY = 5
_MIN_HEAD = 5
_LINKERS = ("s", "n", "e", "en", "er", "es", "ns")
_STREET_HEADS = frozenset(
    {"strasse", "str", "gasse", "allee", "ring", "weg", "steig", "pfad", "kai", "platz", "ufer"}
)
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HINT = re.compile(r"^\s*#([^\s#]+)")
_DIGRAPHS = (("ae", "a"), ("oe", "o"), ("ue", "u"))
_SUFFIX_ENDS = frozenset("egmnrs")  # the last letters of every ending `stem` removes
# English words the German endings would turn into other words ("care" into "car").
_UNSTEMMED = frozenset({"care", "parken"})


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
) | _folded(
    # Chat words that carry no topic either: generic verbs ("funktioniert", "kommt"),
    # complaints ("katastrophal"), times ("abends", "montags"), "English" and "speak".
    """
    kommt komme kommen kam komm funktioniert funktionieren funktioniere klappt klappen
    passiert passieren tun tut getan passt gilt gelten bringt bringen sitzt steht stehen
    fertig dauernd ständig ständige überhaupt überall ewig unmöglich katastrophal
    katastrophe schlimm furchtbar schrecklich nervig nervt toll super schade total echt
    wenig weniger wenige knapp genug ganze ganzen kurz kürzlich neulich letzte letzten
    letztes nächsten nächstes montag dienstag mittwoch donnerstag freitag samstag montags
    abend abends morgens mittags nachmittags vormittags später demnächst künftig zukünftig
    aktuell aktuelle aktuellen derzeit momentan zurzeit leute niemand wegen trotz trotzdem
    obwohl während antwort antworten bescheid wissen erfahren nachfragen schreiben schreibe
    anrufen rufen wende wenden kontakt kontaktieren ansprechen zuständige zuständigen
    verantwortlich darf dürfen möchte möchten sagt gesagt meint glaube denke bisschen paar
    entscheidet entscheiden nutzen nutzt benutzen abgeholt kostenlos kostenlose kostenlosen
    gratis way time times week weeks month months year years tomorrow tonight morning good
    best feel talk say said tell told ask asked question questions problems issue issues
    thing things many every always never sometimes english englisch speak speaks speaking
    speaker speakers available possible able without around through because maybe somebody
    anybody live living moved bestellen bestelle bestellt verloren verlieren fällt bietet
    bieten angeboten anbieten
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
        downtown marktplatz residenzplatz domplatz dom
        """
    )
    for variant in (name, name + "er", name + "s", name + "ern")
)
"""Districts of Würzburg, municipalities (and a few villages) of the Landkreis Würzburg and
words for the town centre and its main squares, folded, with their adjective and genitive
forms (``Würzburger``, ``Höchbergs``). "In der Innenstadt" or "am Marktplatz" is asked
about parking, shops, trees and WLAN alike."""


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
# Heads that name a road even after a known word ("Dom|straße", "Röntgen|ring"); "platz" and
# "weg" are topics after one ("Kita|platz", "Schul|weg") and places only after a name.
_ROAD_STEMS = _STREET_STEMS - {stem("platz"), stem("weg")}
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
        self._memo: dict[str, str] = {}

    def _stem(self, word: str) -> str:
        """`stem`, remembered: splitting compounds stems the same substrings again and again."""
        found = self._memo.get(word)
        if found is None:
            found = self._memo[word] = stem(word)
        return found

    def add(self, text: str) -> None:
        """Learn the words of `text`; call `derive_heads` after the last text of a batch."""
        for word in _tokens(text):
            stemmed = self._stem(word)
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

    def add_phrases(self, text: str) -> None:
        """Learn the adjacent word pairs of a keyword phrase as words ("care home")."""
        words = [(word, _is_noise(word, self._stem(word))) for word in _tokens(text)]
        for (first, noise), (second, more_noise) in itertools.pairwise(words):
            if not noise and not more_noise:
                self.stems[self._stem(first + second)] += 1

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
            unlinked = [
                self._stem(rest[len(link) :])
                for link in _LINKERS
                if rest.startswith(link) and len(rest) - len(link) >= _MIN_PARTIAL
            ]
            known = [part for part in unlinked if part in self.stems]
            if known:
                self._heads.update(known)
            elif len(rest) >= _MIN_HEAD:
                self._heads.add(self._stem(rest))
                self._heads.update(part for part in unlinked if len(part) >= _MIN_HEAD)

    def words(self, text: str) -> list[str]:
        """The normalised words of `text`: see the module docstring for the steps."""
        return [stemmed for _, stems in self.units(text) for stemmed in stems]

    def units(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """Each folded word of `text` (or pair written apart) with the stems it stands for."""
        raw = _tokens(text)
        result: list[tuple[str, tuple[str, ...]]] = []
        index = 0
        while index < len(raw):
            # "bayern id", "e auto", "glas faser": two words the departments file writes as one.
            if (
                index + 1 < len(raw)
                and raw[index] not in STOPWORDS
                and raw[index + 1] not in STOPWORDS
                and self._stem(raw[index] + raw[index + 1]) in self.stems
            ):
                joined = raw[index] + raw[index + 1]
                result.append((f"{raw[index]} {raw[index + 1]}", (self._stem(joined),)))
                index += 2
                continue
            stems = self.resolve(raw[index])
            if stems:
                result.append((raw[index], tuple(stems)))
            index += 1
        return result

    def parts(self, word: str) -> tuple[str, ...]:
        """The parts of a known compound that are words of their own (``Not|dienst``)."""
        if " " in word:
            # A pair written apart ("care home", "bayern id"): its words.
            return tuple(
                stemmed
                for part in word.split()
                for stemmed in self.resolve(part)
                if stemmed in self.stems
            )
        if self._stem(word) not in self.stems:
            return ()
        found = self.split(word)
        if not found or any(part not in self.stems or len(part) < _MIN_PART for part in found):
            return ()
        return tuple(found)

    def resolve(self, word: str) -> list[str]:
        """The stems one folded word stands for: itself, its parts, a correction, or nothing."""
        stemmed = self._stem(word)
        if _is_noise(word, stemmed):
            return []
        if stemmed in self.stems:
            return [stemmed]
        parts = self.split(word)
        if parts:
            return [] if parts[-1] in _ROAD_STEMS else parts
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
            tail = self._stem(word[start:])
            known_tail = tail in self.stems or (tail in self._heads and len(tail) >= _MIN_HEAD)
            candidate = (1.0, (tail,)) if known_tail and start > 0 else None
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
                        candidate = (cost, (self._stem(piece), *following[1]))
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
                or (len(word) - start > _MIN_PARTIAL and self._stem(word[start:]) in self._heads)
            ),
            None,
        )
        if head is not None and self._stem(head) in _STREET_STEMS:
            return []
        if head is not None and len(self._stem(head)) < _MIN_PARTIAL and head not in self._surfaces:
            head = None  # "reno|vating" is no "Vater", but "Heuchelhof|bad" is a "Bad"
        if head is not None:
            # "Weihnachts|markt": the linking element belongs to neither part.
            head = next(
                (
                    head[len(link) :]
                    for link in _LINKERS
                    if head.startswith(link) and self._stem(head[len(link) :]) in self.stems
                ),
                head,
            )
        modifier = next(
            (
                word[:end]
                for end in range(len(word) - _MIN_PART, _MIN_PARTIAL - 1, -1)
                if word[:end] in self._starts
            ),
            None,
        )
        found = [self._stem(part) for part in (modifier, head) if part is not None]
        return found or None


def normalise(text: str) -> list[str]:
    """Fold, tokenise, drop stopwords and place names, and stem, without any vocabulary.

    `Classifier.normalise` does this and also splits compounds and corrects typos against the
    words the departments file knows.
    """
    stems = ((word, stem(word)) for word in _tokens(text))
    return [stemmed for word, stemmed in stems if not _is_noise(word, stemmed)]


_MISSING: tuple[float, ...] = ()
_CACHE_SIZE = 50_000
_MIN_GRAMS = 3
_GRAM_SIZES = (4, 5)


def _ngrams(word: str) -> list[str]:
    """The letter n-grams of a stem, with its start and end marked (``<ra``, ``ad>``)."""
    padded = f"<{word}>"
    return [padded[i : i + n] for n in _GRAM_SIZES for i in range(len(padded) - n + 1)]


def _log_likelihoods(
    tables: Sequence[dict[str, float]], smoothing: float
) -> dict[str, tuple[float, ...]]:
    """Smoothed log P(feature | department) for every feature of the (scaled) count tables."""
    vocabulary = set().union(*tables)
    denominator = PROFILE_MASS + smoothing * len(vocabulary)
    return {
        feature: tuple(
            math.log((table.get(feature, 0.0) + smoothing) / denominator) for table in tables
        )
        for feature in vocabulary
    }


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
        self._scaled: list[dict[str, float]] = []
        self._grams: dict[str, tuple[float, ...]] | None = None
        self._gram_tables: list[dict[str, float]] = []
        self._gram_denominator = 1.0
        self._cache: dict[str, tuple[float, ...] | None] = {}
        # (department, texts, weight): a word counts once per source (see `WEIGHT_REPEAT`), so
        # that listing "Bus", "Busse" and "bus" as keywords does not make "bus" weigh three
        # times as much.
        sources: list[tuple[int, Sequence[str], float]] = []
        examples: list[tuple[int, Sequence[str], float]] = []
        for position, department in enumerate(departments):
            sources.append((position, (department.name,), WEIGHT_NAME))
            sources.append((position, (department.scope,), WEIGHT_SCOPE))
            sources.append((position, department.keywords, WEIGHT_KEYWORD))
            examples.extend(
                (position, (example,), WEIGHT_EXAMPLE) for example in department.examples
            )
        for text, department_id in learned:
            sources.append((self._position(department_id), (text,), WEIGHT_LEARNED))
        # Learn every word first, so that compounds in the training text are split the same
        # way as in questions.
        for _, texts, _ in (*sources, *examples):
            for text in texts:
                self._lexicon.add(text)
        for department in departments:
            for keyword in department.keywords:
                self._lexicon.add_phrases(keyword)
        self._lexicon.derive_heads()
        for position, texts, weight in sources:
            self._count(position, texts, weight)
        # The examples come last, to tell their topic words from their phrasing.
        topical = set().union(*self._counts)
        for position, texts, weight in examples:
            self._count(position, texts, weight, topical)
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
        for word, stems in self._lexicon.units(text):
            vector = self._cache.get(word, _MISSING)
            if vector is _MISSING:
                vector = self._vector(word, stems)
                if len(self._cache) >= _CACHE_SIZE:
                    self._cache.clear()
                self._cache[word] = vector
            if vector is not None:
                scores = [score + weight for score, weight in zip(scores, vector, strict=True)]
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

    def _vector(self, word: str, stems: Sequence[str]) -> tuple[float, ...] | None:
        """What one word of a question adds to each department's score, if anything.

        The word's stems (or compound parts) vote with their log-likelihoods, the parts of a
        known compound with `WEIGHT_PART` more; a word the router has never seen in any form
        votes, much more quietly, with the letter groups it shares with known words.
        """
        rows: list[tuple[tuple[float, ...], float]] = [
            (self._weights[stemmed], 1.0) for stemmed in stems if stemmed in self._weights
        ]
        if not rows:
            return self._backoff(stems[0]) if len(stems) == 1 else None
        rows.extend(
            (self._weights[part], WEIGHT_PART)
            for part in self._lexicon.parts(word)
            if part in self._weights
        )
        return tuple(
            sum(row[position] * weight for row, weight in rows)
            for position in range(len(self._ids))
        )

    def _backoff(self, stemmed: str) -> tuple[float, ...] | None:
        """The mean log-likelihood of the letter n-grams of an unknown word, damped."""
        if len(stemmed) < _MIN_FUZZY or not stemmed.isalpha():
            return None
        rows = [row for gram in _ngrams(stemmed) if (row := self._gram_vector(gram)) is not None]
        if len(rows) < _MIN_GRAMS:
            return None
        factor = WEIGHT_BACKOFF / len(rows)
        return tuple(
            factor * sum(row[position] for row in rows) for position in range(len(self._ids))
        )

    def _count(
        self,
        position: int,
        texts: Sequence[str],
        weight: float,
        topical: set[str] | None = None,
    ) -> None:
        """Add the words of one source; those not in `topical` (if given) are phrasing."""
        best: dict[str, float] = {}
        entries: Counter[str] = Counter()
        for text in texts:
            found: dict[str, float] = {}
            for word, stems in self._lexicon.units(text):
                for part in self._lexicon.parts(word):
                    found[part] = max(found.get(part, 0.0), weight * WEIGHT_PART)
                for stemmed in stems:
                    found[stemmed] = weight
            for stemmed, value in found.items():
                best[stemmed] = max(best.get(stemmed, 0.0), value)
                entries[stemmed] += 1
        counts = self._counts[position]
        for word, value in best.items():
            value *= 1.0 + WEIGHT_REPEAT * math.log(entries[word])
            counts[word] += value if topical is None or word in topical else value * WEIGHT_PHRASING

    def _update_weights(self) -> None:
        """Turn the counts into per-word log-likelihood vectors, one entry per department.

        Each department's counts are scaled to the same total before smoothing, so that a
        department is neither favoured nor penalised for the length of its keyword list. The
        letter n-grams of the words get their own table the same way, for unknown words.
        """
        self._cache.clear()
        scales = [PROFILE_MASS / max(sum(counts.values()), 1.0) for counts in self._counts]
        scaled = [
            {word: count * scale for word, count in counts.items()}
            for counts, scale in zip(self._counts, scales, strict=True)
        ]
        self._weights = _log_likelihoods(scaled, SMOOTHING)
        self._scaled = scaled
        self._grams = None

    def _gram_vector(self, gram: str) -> tuple[float, ...] | None:
        """Smoothed log P(gram | department), the gram table built on first use."""
        if self._grams is None:
            tables: list[Counter[str]] = [Counter() for _ in self._ids]
            for scaled, table in zip(self._scaled, tables, strict=True):
                for word, count in scaled.items():
                    if len(word) >= _MIN_PART and word.isalpha():
                        for each in _ngrams(word):
                            table[each] += count
            scales = [PROFILE_MASS / max(sum(table.values()), 1.0) for table in tables]
            vocabulary = len(set().union(*tables))
            self._grams = {}
            self._gram_tables = [
                {each: count * scale for each, count in table.items()}
                for table, scale in zip(tables, scales, strict=True)
            ]
            self._gram_denominator = PROFILE_MASS + GRAM_SMOOTHING * vocabulary
        found = self._grams.get(gram)
        if found is None:
            counts = [table.get(gram, 0.0) for table in self._gram_tables]
            if not any(counts):
                return None  # not remembered: the grams of typing noise would pile up
            found = self._grams[gram] = tuple(
                math.log((count + GRAM_SMOOTHING) / self._gram_denominator) for count in counts
            )
        return found

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

"""How fast are similar-idea hints with 100k stored ideas? `python -m bench.ideas_similarity`.

Builds synthetic German ideas from compounds (modifier + head, e.g. "Fahrrad" + "ständer"),
places, verbs and inflections, indexes them, and times `SimilarityIndex.similar` for a few
hundred queries written like new ideas (other inflections, other compound forms, ae/oe/ue
spellings). Prints build time, the time to hand the index over as bytes (as the index
worker does) and back, p50/p99/max lookup time in the handed-over copy and how many queries
found a hint; `--memory` also what the index holds (tracemalloc).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import tracemalloc

from handlers.ideas.similarity import SimilarityIndex

MODIFIERS_TEXT = (
    "Fahrrad Rad Auto Bus Straßenbahn Fußgänger Kinder Spiel Sport Park Wasser Müll Strom "
    "Solar Bürger Schul Kita Senioren Hunde Bahnhof Markt Garten Baum Blumen Wander "
    "Lasten Jugend Familien Nachbarschafts Kultur Musik Lese Bücher Repair Tausch Obst "
    "Kräuter Wiesen Ufer Brücken Ampel Tempo Lärm Licht Wärme Regen Trink Sitz"
)
HEADS_TEXT = (
    "ständer weg platz haltestelle bank zone spur park garage station straße anlage "
    "brunnen beleuchtung schild automat ampel netz korb treff café zentrum halle bad "
    "garten fest markt kurs angebot beratung hilfe fonds karte app sensor dach fläche "
    "insel säule box"
)
PLACES_TEXT = (
    "Bahnhof Hauptbahnhof Mainufer Marktplatz Innenstadt Sanderau Zellerau Frauenland "
    "Heidingsfeld Grombühl Lengfeld Versbach Höchberg Randersacker Veitshöchheim "
    "Ochsenfurt Kitzingen Rimpar Gerbrunn Rottendorf Residenz Dom Festung Uni Hubland "
    "Talavera Ringpark Juliusspital"
)
MODIFIERS = MODIFIERS_TEXT.split()
HEADS = HEADS_TEXT.split()
PLACES = PLACES_TEXT.split()
OPENINGS = (
    "Mehr",
    "Neue",
    "Bessere",
    "Sichere",
    "Wir brauchen",
    "Bitte",
    "Ich wünsche mir",
    "Es fehlen",
    "Schön wären",
    "Vorschlag:",
)
ENDINGS = (
    "",
    "für alle",
    "damit man sicherer unterwegs ist",
    "weil es dort zu wenige gibt",
    "und zwar möglichst bald",
    "das würde vielen Familien helfen",
    "gerade am Wochenende",
    "auch für ältere Menschen",
)
PLURAL = ("", "e", "en", "n", "s")


def compound(rng: random.Random) -> str:
    return rng.choice(MODIFIERS) + rng.choice(HEADS) + rng.choice(PLURAL)


def idea_text(rng: random.Random) -> str:
    parts = [rng.choice(OPENINGS), compound(rng)]
    if rng.random() < 0.6:
        parts += ["und", compound(rng)]
    parts += [rng.choice(("am", "im", "in", "bei", "an der")), rng.choice(PLACES)]
    parts.append(rng.choice(ENDINGS))
    return " ".join(part for part in parts if part)


def rewrite(text: str) -> str:
    """The same idea as someone else might type it: other spelling of umlauts."""
    return text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")


def print_memory(snapshot: tracemalloc.Snapshot) -> None:
    """What the built index holds (tracemalloc), in total and by the line that allocated it."""
    held = snapshot.statistics("lineno")
    print(f"index holds:     {sum(stat.size for stat in held) / 2**20:.1f} MB (tracemalloc)")
    for stat in held[:5]:
        frame = stat.traceback[0]
        print(f"  {stat.size / 2**20:6.1f} MB  {frame.filename}:{frame.lineno}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ideas", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--memory", action="store_true", help="trace what the index allocates (slower build)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    texts = [(number, idea_text(rng)) for number in range(1, args.ideas + 1)]

    if args.memory:
        tracemalloc.start()
    started = time.perf_counter()
    index = SimilarityIndex.build(texts)
    build_seconds = time.perf_counter() - started
    if args.memory:
        print_memory(tracemalloc.take_snapshot())
        tracemalloc.stop()

    # The bot gets the index of many ideas from a child process as bytes
    # (`handlers.ideas.index_worker`): time that hand-over and look up in the copy.
    started = time.perf_counter()
    data = index.to_bytes()
    to_bytes_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    index = SimilarityIndex.from_bytes(data)
    from_bytes_ms = (time.perf_counter() - started) * 1000

    queries = [
        rewrite(rng.choice(texts)[1]) if rng.random() < 0.5 else idea_text(rng)
        for _ in range(args.queries)
    ]
    timings = []
    hits = 0
    for query in queries:
        started = time.perf_counter()
        found = index.similar(query)
        timings.append((time.perf_counter() - started) * 1000)
        hits += bool(found)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    print(f"ideas indexed:   {len(index):,} in {build_seconds:.1f} s")
    print(
        f"hand-over:       {len(data) / 2**20:.1f} MB, to_bytes {to_bytes_ms:.0f} ms, "
        f"from_bytes {from_bytes_ms:.0f} ms"
    )
    print(f"queries:         {len(queries)} ({hits} with a similar idea)")
    print(f"lookup p50:      {statistics.median(timings):.2f} ms")
    print(f"lookup p99:      {p99:.2f} ms")
    print(f"lookup max:      {timings[-1]:.2f} ms")


if __name__ == "__main__":
    main()

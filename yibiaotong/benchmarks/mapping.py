"""`header_mapping`: the header mapper measured on the corpus of real headers (data/corpus).

A header is *mapped automatically* when the mapper may use its field unasked (exact) and the
field is right (the share is of the headers whose answer is a field); it is
*right* when the outcome is an accepted answer (a fuzzy suggestion of the right field counts:
the user confirms it; an asked header is right where the corpus says to ask or accepts none);
it is *wrong* when a field is given that the corpus does not accept. *Person-field headers*
are those whose answer is a field about a person (a resident's, or a house owner's or shop
legal person's own fields). An *identity slip* is a header whose accepted answers hold no
identity field but which got one — there must be none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from yibiaotong import catalog, config, db, mapping
from yibiaotong.benchmarks import Context, timed

CORPUS = config.ROOT / "data" / "corpus" / "headers.yaml"
ASK = "?"
_PERSON_FIELDS = frozenset(
    {
        "house_owner_name",
        "house_owner_id_number",
        "house_owner_phone",
        "shop_legal_person",
        "shop_legal_person_id_number",
    }
)


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["forms"]


def outcome(match: mapping.HeaderMatch) -> str | None:
    """What the mapper said, in the corpus' notation: field@relation, "?" or None."""
    if match.field is None:
        return ASK if match.status == "ask" else None
    return match.field if match.relation is None else f"{match.field}@{match.relation}"


def is_person(answer: str | None) -> bool:
    if answer in (None, ASK):
        return False
    code = answer.split("@")[0]
    return code.startswith("resident_") or "@" in answer or code in _PERSON_FIELDS


@dataclass
class Tally:
    headers: int = 0
    with_field: int = 0  # headers whose answer is a field
    automatic: int = 0
    right: int = 0
    wrong: int = 0
    person: int = 0
    person_right: int = 0
    identity_slips: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def share(self, part: int, whole: int) -> float:
        return round(100 * part / whole, 1) if whole else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "headers": self.headers,
            "automatic_pct": self.share(self.automatic, self.with_field),
            "right_pct": self.share(self.right, self.headers),
            "wrong_pct": self.share(self.wrong, self.headers),
            "person_headers": self.person,
            "person_right_pct": self.share(self.person_right, self.person),
            "identity_slips": len(self.identity_slips),
        }


def score(forms: Iterable[Mapping[str, Any]]) -> dict[str, Tally]:
    """Map every form of the corpus and tally it, per split and overall ("all")."""
    tallies = {"all": Tally(), "tune": Tally(), "holdout": Tally()}
    for form in forms:
        headers = [h[0] for h in form["headers"]]
        matches = mapping.map_headers(headers, form["entity"])
        for row, match in zip(form["headers"], matches, strict=True):
            answer, accepted = row[1], set(row[1:])
            got = outcome(match)
            right = got in accepted or (got == ASK and None in accepted)
            wrong = match.field is not None and not right
            slip = match.field in mapping.IDENTITY_FIELDS and not any(
                a not in (None, ASK) and a.split("@")[0] in mapping.IDENTITY_FIELDS
                for a in accepted
            )
            note = f"{form['id']}: {row[0]} → {got} ({match.status}), answer {answer}"
            for tally in (tallies["all"], tallies[form["split"]]):
                tally.headers += 1
                tally.with_field += answer not in (None, ASK)
                tally.automatic += match.usable and right
                tally.right += right
                tally.wrong += wrong
                if is_person(answer):
                    tally.person += 1
                    tally.person_right += right
                if slip:
                    tally.identity_slips.append(note)
                if not right:
                    tally.misses.append(note)
    return tallies


def _map_all(forms: list[dict[str, Any]]) -> None:
    for form in forms:
        mapping.map_headers([h[0] for h in form["headers"]], form["entity"])


def run(ctx: Context) -> dict[str, dict]:
    # A cached benchmark database may predate the field standard's latest synonyms.
    with db.transaction() as cur:
        catalog.load_catalog(cur)
    forms = load()
    tallies = score(forms)
    headers = sum(len(f["headers"]) for f in forms)
    timing = timed(lambda: _map_all(forms), repeat=5, warmup=1)
    return {
        "header_mapping": {
            **timing,
            "per_header_ms": round(timing["p50_ms"] / headers, 3),
            **tallies["all"].summary(),
            "tune": tallies["tune"].summary(),
            "holdout": tallies["holdout"].summary(),
            "note": f"{len(forms)} forms; every form mapped once per repeat",
        }
    }

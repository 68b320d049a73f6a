"""Deterministic synthetic sample exports for ``data/samples/`` (the app's embedded default).

Every file is SYNTHETIC: made up here, in the exact layout of the real exports and with
their messiness (title lines, BOMs, Windows-1252, odd spacing and case, curly
apostrophes, extra columns, overlapping exports, an Excel workbook). The latest period
of each survey is built with exact counts so that it reproduces the figures published
in the source paper (../shared/seed/); earlier periods vary around typical values.

Run ``python -m insight make-samples`` to rewrite them; the output is byte-for-byte the
same every time (the .xlsx only differs in its zip timestamps).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from insight.definition import load_definitions

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "data" / "samples"
SYNTHETIC_TITLE = "SYNTHETIC SAMPLE DATA - not real responses - {what}"

SAT7_POS = ["Completely satisfied", "Very satisfied", "Fairly satisfied"]
SAT7_NEG = ["Neither satisfied nor dissatisfied", "Fairly dissatisfied", "Very dissatisfied", "Completely dissatisfied"]
OFFENCES = ["Violence against the person", "Burglary", "Robbery", "Theft", "Criminal damage", "Vehicle crime"]
NPUS = ["Birmingham East", "Birmingham West", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]
NPU_WEIGHTS = [20, 19, 12, 11, 12, 7, 10, 9]
AGES = ["16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75+"]
GENDERS = ["Female", "Male", "Non-binary or other", "Prefer not to say"]
ETHNIC_DETAIL = {
    "White": [
        "White: English, Welsh, Scottish, Northern Irish or British",
        "White: Irish",
        "White: Gypsy or Irish Traveller",
        "White: Roma",
        "White: Other White",
    ],
    "Mixed": [
        "Mixed or Multiple ethnic groups: White and Black Caribbean",
        "Mixed or Multiple ethnic groups: White and Black African",
        "Mixed or Multiple ethnic groups: White and Asian",
        "Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups",
    ],
    "Asian": [
        "Asian, Asian British or Asian Welsh: Indian",
        "Asian, Asian British or Asian Welsh: Pakistani",
        "Asian, Asian British or Asian Welsh: Bangladeshi",
        "Asian, Asian British or Asian Welsh: Chinese",
        "Asian, Asian British or Asian Welsh: Other Asian",
    ],
    "Black": [
        "Black, Black British, Black Welsh, Caribbean or African: African",
        "Black, Black British, Black Welsh, Caribbean or African: Caribbean",
        "Black, Black British, Black Welsh, Caribbean or African: Other Black",
    ],
    "Other": ["Other ethnic group: Arab", "Other ethnic group: Any other ethnic group"],
}
DETAIL_WEIGHTS = {"White": [88, 2, 0.5, 0.5, 9], "Mixed": [40, 15, 30, 15], "Asian": [35, 45, 12, 4, 4],
                  "Black": [40, 45, 15], "Other": [50, 50]}  # fmt: skip


def exact_list(counts: dict[str, int], rng: random.Random) -> list[str]:
    """A shuffled list holding each label exactly ``counts[label]`` times."""
    out = [label for label, n in counts.items() for _ in range(n)]
    rng.shuffle(out)
    return out


def spread(total: int, weights: Sequence[float], labels: Sequence[str]) -> dict[str, int]:
    """Split ``total`` into whole counts in proportion to ``weights`` (largest remainder)."""
    raw = [total * w / sum(weights) for w in weights]
    counts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    return dict(zip(labels, counts, strict=True))


@dataclass
class AnswerPlan:
    """For one question in one stratum: rows out of base, and positives among the base."""

    out_of_base: int
    positive: int


def assign_answers(
    rows: list[dict],
    column: str,
    plan: AnswerPlan,
    positive: Sequence[str],
    negative: Sequence[str],
    excluded: Sequence[str],
    rng: random.Random,
    blank_share: float = 0.5,
) -> None:
    """Give exactly ``plan.positive`` positive answers and ``plan.out_of_base`` blanks/excluded."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    base = len(rows) - plan.out_of_base
    if not 0 <= plan.positive <= base:
        raise ValueError(f"impossible plan for {column}: {plan} with {len(rows)} rows")
    for rank, i in enumerate(order):
        if rank < plan.out_of_base:
            rows[i][column] = "" if (not excluded or rng.random() < blank_share) else rng.choice(excluded)
        elif rank < plan.out_of_base + plan.positive:
            rows[i][column] = rng.choice(positive)
        else:
            rows[i][column] = rng.choice(negative)


def plan_for(n: int, base_share: float, pct: float) -> AnswerPlan:
    base = round(n * base_share)
    return AnswerPlan(n - base, round(base * pct / 100))


def month_dates(year: int, month: int, n: int, rng: random.Random, with_time: bool) -> list[str]:
    first = dt.date(year, month, 1)
    days = ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - first).days
    out = []
    for _ in range(n):
        day = first + dt.timedelta(days=rng.randrange(days))
        text = day.strftime("%d/%m/%Y")
        if with_time:
            text += f" {rng.randrange(24):02d}:{rng.randrange(60):02d}"
        out.append(text)
    return out


def months(start: tuple[int, int], end: tuple[int, int]) -> list[tuple[int, int]]:
    out = []
    y, m = start
    while (y, m) <= end:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def ethnicity_labels(counts: dict[str, int], not_stated: int, rng: random.Random) -> list[str]:
    out = []
    for group, n in counts.items():
        out += rng.choices(ETHNIC_DETAIL[group], weights=DETAIL_WEIGHTS[group], k=n)
    out += ["Prefer not to say"] * not_stated
    rng.shuffle(out)
    return out


# --------------------------------------------------------------------------- writing


@dataclass
class Mess:
    """How one sample file is made messy, as real exports are."""

    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" or "cp1252"
    title: bool = True
    header_spaces: bool = False
    shuffle_columns: bool = False
    extra_column: bool = False
    vary_case: bool = False
    straight_apostrophe: bool = False


def _messy_value(value: str, mess: Mess, rng: random.Random) -> str:
    """Vary a label as real exports do (only ever applied to answer and dimension labels)."""
    if mess.straight_apostrophe:
        value = value.replace("\u2019", "'")
    if mess.vary_case and value and rng.random() < 0.15:
        value = rng.choice([value.lower(), value.upper(), f" {value} ", value.replace(" ", "  ", 1)])
    return value


def render_csv(
    header: list[str], rows: list[dict], mess: Mess, what: str, rng: random.Random, labels: Sequence[str] = ()
) -> bytes:
    """CSV bytes; ``labels`` are the columns whose values may vary in case and spacing."""
    columns = list(header)
    if mess.extra_column:
        columns.insert(1, "Survey Version")
    if mess.shuffle_columns:
        rng.shuffle(columns)
    buf = io.StringIO(newline="")
    if mess.title:
        buf.write(SYNTHETIC_TITLE.format(what=what) + "\r\n\r\n")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([f" {c} " if mess.header_spaces and i % 3 == 0 else c for i, c in enumerate(columns)])
    for row in rows:
        values = []
        for c in columns:
            v = "v2.1" if c == "Survey Version" else row.get(c, "")
            values.append(_messy_value(v, mess, rng) if c in labels else v)
        writer.writerow(values)
    return buf.getvalue().encode(mess.encoding)


def render_xlsx(header: list[str], rows: list[dict], what: str) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    fixed = dt.datetime(2019, 10, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    sheet = book.active
    sheet.title = "Export"
    sheet.append([SYNTHETIC_TITLE.format(what=what)])
    sheet.append([])
    sheet.append(header)
    for row in rows:
        cells: list[object] = []
        for c in header:
            v = row.get(c, "")
            if v.isdigit() and len(v) <= 3:
                cells.append(int(v))  # Excel turns 999 and 101 into numbers
            elif len(v) == 16 and v[2] == "/" and v[5] == "/":
                cells.append(dt.datetime.strptime(v, "%d/%m/%Y %H:%M"))  # and dates into dates
            else:
                cells.append(v or None)
        sheet.append(cells)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- victim survey

VICTIM_HEADER = [
    "Response ID", "Survey Completed", "Date Reported", "Crime Reference", "Email Address", "Offence Group",
    "Contact Method", "NPU",
    "Q1 How satisfied were you with the initial contact you had with West Midlands Police?",
    "Q2 How satisfied were you with the actions taken by the police?",
    "Q3 How satisfied were you with how well you were kept informed of progress?",
    "Q4 How satisfied were you with the way you were treated by the officers and staff who dealt with you?",
    "Q5 Taking the whole experience into account, how satisfied are you with the service provided?",
    "Age Group", "Ethnicity", "Gender", "Any other comments?",
]  # fmt: skip
VQ = {k: VICTIM_HEADER[8 + i] for i, k in enumerate(["initial_contact", "actions", "feedback", "treatment", "overall"])}
VICTIM_COMMENTS = [
    "Nobody called me back.", "Officer was kind and showed they cared.", "I was never told what happens next.",
    "Kept me informed throughout, thank you.", "Waited a long time on 101.", "Case closed without explanation.",
    "The officer explained clearly what would happen and why.", "Still waiting for an update after 5 weeks.",
]  # fmt: skip


@dataclass
class VictimMonth:
    """Exact counts for one month of the victim survey."""

    offence_rows: dict[str, int]
    overall: dict[str, AnswerPlan]  # by offence
    channel_rows: dict[str, int]  # 999, 101, Online, Live Chat, Front counter
    initial_contact: dict[str, AnswerPlan]  # by channel group
    actions: AnswerPlan
    feedback: AnswerPlan
    treatment: AnswerPlan
    ethnicity: dict[str, int]
    ethnicity_not_stated: int
    age: dict[str, int]
    age_not_stated: int


def september_2019() -> VictimMonth:
    """The month the paper reports: every published figure holds exactly.

    Overall 469/950 = 49.4%; robbery 35/50 = 70.0%, burglary 126/200 = 63.0%,
    violence 135/300 = 45.0%; initial contact 589/940 = 62.7% with Phone 355/500 = 71.0%
    and Online 120/270 = 44.4%; actions 441/930 = 47.4%; feedback 352/900 = 39.1%;
    treatment 632/960 = 65.8%; respondents White 830/980 = 84.7%, Asian 100/980 = 10.2%,
    Black 27/980 = 2.8%; aged 16-24 94/990 = 9.5%.
    """
    return VictimMonth(
        offence_rows={"Violence against the person": 316, "Burglary": 210, "Robbery": 53, "Theft": 190,
                      "Criminal damage": 115, "Vehicle crime": 116},
        overall={"Violence against the person": AnswerPlan(16, 135), "Burglary": AnswerPlan(10, 126),
                 "Robbery": AnswerPlan(3, 35), "Theft": AnswerPlan(10, 77), "Criminal damage": AnswerPlan(5, 48),
                 "Vehicle crime": AnswerPlan(6, 48)},
        channel_rows={"999": 200, "101": 320, "Online": 300, "Live Chat": 80, "Front counter": 100},
        initial_contact={"Phone": AnswerPlan(20, 355), "Online": AnswerPlan(30, 120),
                         "Live Chat": AnswerPlan(5, 50), "Front counter": AnswerPlan(5, 64)},
        actions=AnswerPlan(70, 441),
        feedback=AnswerPlan(100, 352),
        treatment=AnswerPlan(40, 632),
        ethnicity={"White": 830, "Mixed": 15, "Asian": 100, "Black": 27, "Other": 8},
        ethnicity_not_stated=20,
        age={"16-24": 94, "25-34": 140, "35-44": 190, "45-54": 210, "55-64": 180, "65-74": 110, "75+": 66},
        age_not_stated=10,
    )  # fmt: skip


def typical_month(n: int, overall_pct: float, rng: random.Random) -> VictimMonth:
    """A month around the paper's typical results (overall about 47%)."""
    offence_rows = spread(n, [32, 21, 5, 19, 11.5, 11.5], OFFENCES)
    offset = {"Violence against the person": -3, "Burglary": 14, "Robbery": 18, "Theft": -5, "Criminal damage": -4,
              "Vehicle crime": -4}  # fmt: skip
    offence_pct = {o: overall_pct + d for o, d in offset.items()}
    overall = {o: plan_for(c, 0.95, offence_pct[o] + rng.uniform(-2, 2)) for o, c in offence_rows.items()}
    # Hit the month's overall figure exactly by adjusting the largest group.
    base = sum(c - p.out_of_base for c, p in zip(offence_rows.values(), overall.values(), strict=True))
    short = round(base * overall_pct / 100) - sum(p.positive for p in overall.values())
    overall[OFFENCES[0]].positive += short
    channel_rows = spread(n, [20, 32, 30, 8, 10], ["999", "101", "Online", "Live Chat", "Front counter"])
    phone = channel_rows["999"] + channel_rows["101"]
    ic = {"Phone": plan_for(phone, 0.96, 70 + rng.uniform(-2, 2)),
          "Online": plan_for(channel_rows["Online"], 0.9, 45 + rng.uniform(-2, 2)),
          "Live Chat": plan_for(channel_rows["Live Chat"], 0.94, 64 + rng.uniform(-4, 4)),
          "Front counter": plan_for(channel_rows["Front counter"], 0.95, 66 + rng.uniform(-4, 4))}  # fmt: skip
    stated_eth = n - round(n * 0.02)
    stated_age = n - round(n * 0.01)
    return VictimMonth(
        offence_rows=offence_rows,
        overall=overall,
        channel_rows=channel_rows,
        initial_contact=ic,
        actions=plan_for(n, 0.93, 47 + rng.uniform(-1.5, 1.5)),
        feedback=plan_for(n, 0.9, 39 + rng.uniform(-1.5, 1.5)),
        treatment=plan_for(n, 0.96, 65.5 + rng.uniform(-1.5, 1.5)),
        ethnicity=spread(stated_eth, [85, 1.5, 10, 2.7, 0.8], ["White", "Mixed", "Asian", "Black", "Other"]),
        ethnicity_not_stated=n - stated_eth,
        age=spread(stated_age, [9.5, 14, 19, 21, 18, 11, 7.5], AGES),
        age_not_stated=n - stated_age,
    )


def victim_rows(year: int, month: int, plan: VictimMonth, rng: random.Random, id_offset: int) -> list[dict]:
    n = sum(plan.offence_rows.values())
    completed = month_dates(year, month, n, rng, with_time=True)
    offences = exact_list(plan.offence_rows, rng)
    channels = exact_list(plan.channel_rows, rng)
    ages = exact_list({**plan.age, "Prefer not to say": plan.age_not_stated}, rng)
    ethnicities = ethnicity_labels(plan.ethnicity, plan.ethnicity_not_stated, rng)
    rows = []
    for i in range(n):
        done = dt.datetime.strptime(completed[i], "%d/%m/%Y %H:%M")
        reported = done - dt.timedelta(days=42 + rng.randrange(5))
        rows.append(
            {
                "Response ID": f"VS{year % 100:02d}{month:02d}{id_offset + i:05d}",
                "Survey Completed": completed[i],
                "Date Reported": reported.strftime("%d/%m/%Y"),
                "Crime Reference": f"20{rng.choice('ABCDEFGH')}{rng.choice('EW')}/{rng.randrange(10**6):06d}/{year % 100}",  # noqa: E501
                "Email Address": f"victim{year}{month:02d}{i}@example.org",
                "Offence Group": offences[i],
                "Contact Method": channels[i],
                "NPU": rng.choices(NPUS, weights=NPU_WEIGHTS)[0],
                "Age Group": ages[i],
                "Ethnicity": ethnicities[i],
                "Gender": rng.choices(GENDERS, weights=[52, 45, 1, 2])[0],
                "Any other comments?": rng.choice(VICTIM_COMMENTS) if rng.random() < 0.25 else "",
            }
        )
    dk = ["Don\u2019t know"]

    def by(key: str, groups: dict[str, list[str]] | None = None) -> Callable[[str], list[dict]]:
        def pick(value: str) -> list[dict]:
            members = groups[value] if groups else [value]
            return [r for r in rows if r[key] in members]

        return pick

    for offence, p in plan.overall.items():
        assign_answers(by("Offence Group")(offence), VQ["overall"], p, SAT7_POS, SAT7_NEG, dk, rng)
    groups = {
        "Phone": ["999", "101"],
        "Online": ["Online"],
        "Live Chat": ["Live Chat"],
        "Front counter": ["Front counter"],
    }
    for group, p in plan.initial_contact.items():
        assign_answers(by("Contact Method", groups)(group), VQ["initial_contact"], p, SAT7_POS, SAT7_NEG, dk, rng)
    for key in ("actions", "feedback", "treatment"):
        assign_answers(rows, VQ[key], getattr(plan, key), SAT7_POS, SAT7_NEG, dk, rng)
    return rows


def victim_exports(rng: random.Random) -> dict[str, bytes]:
    """Thirteen monthly exports, September 2018 to September 2019."""
    files: dict[str, bytes] = {}
    previous: list[dict] = []
    span = months((2018, 9), (2019, 9))
    for index, (year, month) in enumerate(span):
        if (year, month) == (2019, 9):
            plan = september_2019()
        elif (year, month) == (2019, 8):
            plan = typical_month(1000, 47.3, rng)  # "an increase of just over 2%" into September
        else:
            plan = typical_month(rng.randrange(900, 1100), 46 + rng.uniform(-1.5, 1.5), rng)
        rows = victim_rows(year, month, plan, rng, id_offset=0)
        # Consecutive exports overlap: each repeats the last 25 responses of the month before.
        rows_out = previous[-25:] + rows if index % 3 != 0 else rows
        previous = sorted(rows, key=lambda r: dt.datetime.strptime(r["Survey Completed"], "%d/%m/%Y %H:%M"))
        what = f"Victim satisfaction survey, {dt.date(year, month, 1):%B %Y}"
        stem = f"victim_survey_{year}-{month:02d}"
        if (year, month) == (2019, 3):
            files[f"{stem}.xlsx"] = render_xlsx(VICTIM_HEADER, rows_out, what)
            continue
        mess = Mess(
            encoding=["utf-8-sig", "cp1252", "utf-8"][index % 3],
            header_spaces=index % 2 == 0,
            shuffle_columns=index % 4 == 1,
            extra_column=index % 4 == 2,
            vary_case=True,
            straight_apostrophe=index % 5 == 0,
        )
        files[f"{stem}.csv"] = render_csv(VICTIM_HEADER, rows_out, mess, what, rng, labels=VICTIM_HEADER[5:16])
    return files


# --------------------------------------------------------------------------- WMNow

WMNOW_HEADER = [
    "Member ID",
    "Email",
    "Date Joined",
    "Status",
    "Postcode District",
    "NPU",
    "Age Group",
    "Ethnicity",
    "Gender",
]
WMNOW_ETHNICITY = [
    "White",
    "Mixed",
    "Asian or Asian British",
    "Black or Black British",
    "Other ethnic group",
    "Prefer not to say",
]
NPU_DISTRICTS = {
    "Birmingham East": ["B8", "B23", "B36", "B33"], "Birmingham West": ["B1", "B5", "B15", "B29"],
    "Coventry": ["CV1", "CV3", "CV6"], "Dudley": ["DY1", "DY8"], "Sandwell": ["B66", "B70"],
    "Solihull": ["B91", "B92"], "Walsall": ["WS1", "WS3"], "Wolverhampton": ["WV1", "WV10"],
}  # fmt: skip


def wmnow_export(rng: random.Random) -> bytes:
    """About 24,000 members who joined January 2017 to October 2019.

    Sign-ups under-represent 16-24s and ethnic minority groups; from September 2019 (the
    sign-up drive in the paper) new members are a little younger and more diverse.
    """
    rows = []
    member = 100000
    for year, month in months((2017, 1), (2019, 10)):
        drive = (year, month) >= (2019, 9)
        n = rng.randrange(550, 800) + (250 if drive else 0)
        age_w = [9, 13, 18, 21, 19, 12, 5] if drive else [5.5, 12, 19, 22, 20, 14, 7]
        eth_w = [72, 3, 15, 5.5, 2, 4] if drive else [80, 2, 10, 3, 1.2, 4]
        for date in month_dates(year, month, n, rng, with_time=False):
            npu = rng.choices(NPUS, weights=NPU_WEIGHTS)[0]
            age = rng.choices([*AGES, "Prefer not to say"], weights=[*age_w, 4])[0]
            rows.append(
                {
                    "Member ID": f"M{member}",
                    "Email": f"member{member}@example.org",
                    "Date Joined": date,
                    "Status": "Unsubscribed" if rng.random() < 0.08 else "Active",
                    "Postcode District": rng.choice(NPU_DISTRICTS[npu]),
                    "NPU": npu,
                    "Age Group": age,
                    "Ethnicity": rng.choices(WMNOW_ETHNICITY, weights=eth_w)[0],
                    "Gender": rng.choices(GENDERS, weights=[55, 42, 1, 2])[0],
                }
            )
            member += 1
    mess = Mess(encoding="utf-8-sig", vary_case=True)
    return render_csv(WMNOW_HEADER, rows, mess, "WMNow membership list", rng, labels=WMNOW_HEADER[3:])


# --------------------------------------------------------------------------- all


def sample_files(seed: int = 2019) -> dict[str, dict[str, bytes]]:
    """dataset -> {file name: bytes}, made from one seeded random stream per dataset."""
    out = {
        "victim": victim_exports(random.Random(seed)),
        "wmnow": {"wmnow_members.csv": wmnow_export(random.Random(seed + 1))},
    }
    return out


def write_samples(out_dir: Path | None = None) -> list[Path]:
    out_dir = out_dir or SAMPLES_DIR
    written = []
    for dataset, files in sample_files().items():
        folder = out_dir / dataset
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            path = folder / name
            path.write_bytes(data)
            written.append(path)
    return written


def sample_paths(dataset: str, samples_dir: Path | None = None) -> list[Path]:
    """The sample exports (and volumes files) bundled for a dataset, in import order."""
    folder = (samples_dir or SAMPLES_DIR) / dataset
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".xlsx") and not p.name.startswith("volumes"))


def definitions_with_samples() -> list[str]:
    return [d for d in load_definitions() if sample_paths(d)]

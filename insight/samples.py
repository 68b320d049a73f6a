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

from insight.datasets import SAMPLES_DIR

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
DETAIL_WEIGHTS: dict[str, list[float]] = {
    "White": [88, 2, 0.5, 0.5, 9], "Mixed": [40, 15, 30, 15], "Asian": [35, 45, 12, 4, 4],
    "Black": [40, 45, 15], "Other": [50, 50],
}  # fmt: skip


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
    follow: tuple[str, Sequence[str], float] | None = None,
) -> None:
    """Give exactly ``plan.positive`` positive answers and ``plan.out_of_base`` blanks/excluded.

    ``follow`` = (column, its positive answers, strength): respondents positive on that column are
    more likely to be positive here too (the counts stay exact), so aspects relate as they do in
    real surveys. Its noise comes from a stream of its own: the other answers do not change.
    """
    order = list(range(len(rows)))
    rng.shuffle(order)
    if follow:
        column_followed, followed_positive, strength = follow
        noise = random.Random(f"{column}|{len(rows)}|{plan}")
        score = {i: noise.random() + (strength if rows[i].get(column_followed) in followed_positive else 0.0)
                 for i in order[plan.out_of_base:]}  # fmt: skip
        order = order[: plan.out_of_base] + sorted(order[plan.out_of_base :], key=lambda i: -score[i])
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
    from openpyxl.worksheet.worksheet import Worksheet

    book = openpyxl.Workbook()
    fixed = dt.datetime(2019, 10, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
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
    # How strongly each aspect goes with the whole experience: being kept informed most, as the paper finds.
    strength = {"actions": 0.5, "feedback": 0.8, "treatment": 0.25}
    for key in ("actions", "feedback", "treatment"):
        follow = (VQ["overall"], SAT7_POS, strength[key])
        assign_answers(rows, VQ[key], getattr(plan, key), SAT7_POS, SAT7_NEG, dk, rng, follow=follow)
    return rows


def victim_exports(rng: random.Random, answered: list[dict] | None = None) -> dict[str, bytes]:
    """Thirteen monthly exports, September 2018 to September 2019. ``answered``, when given, gains every
    response made (each once), so the Victims' Code dip sample can review some of the same cases."""
    files: dict[str, bytes] = {}
    previous: list[dict] = []
    sent: list[str] = []
    rates = random.Random(2019_09)  # its own stream, so the responses do not change with the volumes
    span = months((2018, 9), (2019, 9))
    for index, (year, month) in enumerate(span):
        if (year, month) == (2019, 9):
            plan = september_2019()
        elif (year, month) == (2019, 8):
            plan = typical_month(1000, 47.3, rng)  # "an increase of just over 2%" into September
        else:
            plan = typical_month(rng.randrange(900, 1100), 46 + rng.uniform(-1.5, 1.5), rng)
        rows = victim_rows(year, month, plan, rng, id_offset=0)
        if answered is not None:
            answered += rows
        sent.append(victim_funnel_line(year, month, len(rows), rates))
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
    title = SYNTHETIC_TITLE.format(what="victim survey funnel")
    files["volumes_victim.csv"] = ("\r\n".join([title, "", ",".join(FUNNEL_HEADER), *sent]) + "\r\n").encode()
    return files


# The victim survey's funnel (../shared/exports/README.md section 8): crimes in scope, why victims were not
# surveyed, surveys sent. July to September 2019 are the export example's rows; with the months' responses
# (958, 1,000 and 1,000) the response rate is "around 10%", as the paper says.
FUNNEL_HEADER = ["Month", "Crimes in scope", "Excluded: under 16", "Excluded: vulnerable", "Excluded: no email address",
                 "Excluded: opted out", "Surveys sent"]  # fmt: skip
FUNNEL_EXAMPLE = {
    (2019, 7): (21840, 1310, 1965, 8299, 436, 9830),
    (2019, 8): (22415, 1344, 2017, 8517, 448, 10089),
    (2019, 9): (21980, 1318, 1978, 8352, 439, 9893),
}


def victim_funnel_line(year: int, month: int, responses: int, rng: random.Random) -> str:
    """One month of the funnel: surveys sent for a response rate of about 10%, and the crimes in scope and
    exclusions in the export example's proportions (6% under 16, 9% vulnerable, 2% opted out, about 45% sent)."""
    if (year, month) in FUNNEL_EXAMPLE:
        counts = FUNNEL_EXAMPLE[(year, month)]
    else:
        sent = round(responses / rng.uniform(0.095, 0.105))
        in_scope = round(sent / rng.uniform(0.445, 0.455))
        under_16 = round(in_scope * rng.uniform(0.058, 0.062))
        vulnerable = round(in_scope * rng.uniform(0.088, 0.092))
        opted_out = round(in_scope * rng.uniform(0.019, 0.021))
        no_email = in_scope - sent - under_16 - vulnerable - opted_out
        counts = (in_scope, under_16, vulnerable, no_email, opted_out, sent)
    # Thousands written with commas and quoted, as the reporting tool writes them.
    return ",".join([f"{dt.date(year, month, 1):%b %Y}", *(f'"{n:,}"' if n >= 1000 else str(n) for n in counts)])


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
    "Sign-up Source",
]
# Where members signed up (../shared/exports/README.md section 9); the paper (paragraph 8) tracks Force Response.
WMNOW_SOURCES = ["Force Response", "Website", "Community event", "Neighbourhood officer", "Social media"]
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
    # Sources drawn from their own generator, so every other column is as it was before sources were recorded.
    # Force Response sign-ups (victims signed up by the officer attending) are younger and more diverse.
    where = random.Random(8)
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
            younger = rows[-1]["Age Group"] in ("16-24", "25-34") or rows[-1]["Ethnicity"] not in ("White",)
            rows[-1]["Sign-up Source"] = where.choices(WMNOW_SOURCES, weights=[30 if younger else 15, 35, 15, 15, 20])[
                0
            ]
            member += 1
    mess = Mess(encoding="utf-8-sig", vary_case=True)
    return render_csv(WMNOW_HEADER, rows, mess, "WMNow membership list", rng, labels=WMNOW_HEADER[3:-1])


# --------------------------------------------------------------------------- 101 callers

CALLER_HEADER = [
    "Response ID", "Call Date", "Phone Number", "Q1 How easy was it to get through to us?",
    "Q2 How satisfied were you with the way the call handler dealt with you?",
    "Q3 Overall, how satisfied were you with the service you received when you called 101?",
    "Q4 Would you use 101 again?", "Age Group", "Ethnicity", "Gender", "Comments",
]  # fmt: skip
SAT5_POS = ["Very satisfied", "Fairly satisfied"]
SAT5_NEG = ["Neither satisfied nor dissatisfied", "Fairly dissatisfied", "Very dissatisfied"]
EASY_POS, EASY_NEG = ["Very easy", "Fairly easy"], ["Neither easy nor difficult", "Fairly difficult", "Very difficult"]
CALLER_COMMENTS = ["Waited 40 minutes to get through.", "Very helpful call handler.", "Nobody called me back.",
                   "The call handler explained what happens next.", "Quick and easy."]  # fmt: skip
# Calls received, invitations sent and responses: the paper's June 2019 has 79,359 calls and
# about 50 invitations; responses have declined since March 2019.
CALLER_MONTHS = {
    (2019, 1): (84210, 540, 64), (2019, 2): (78466, 498, 58), (2019, 3): (83105, 305, 35),
    (2019, 4): (81204, 212, 24), (2019, 5): (80771, 96, 11), (2019, 6): (79359, 50, 12),
}  # fmt: skip


def demographics(n: int, rng: random.Random) -> list[tuple[str, str, str]]:
    ages = rng.choices([*AGES, "Prefer not to say"], weights=[8, 13, 18, 20, 18, 12, 8, 3], k=n)
    groups = rng.choices(["White", "Mixed", "Asian", "Black", "Other", ""], weights=[70, 3, 17, 6, 2, 2], k=n)
    eth = [rng.choices(ETHNIC_DETAIL[g], weights=DETAIL_WEIGHTS[g])[0] if g else "Prefer not to say" for g in groups]
    genders = rng.choices(GENDERS, weights=[52, 45, 1, 2], k=n)
    return list(zip(ages, eth, genders, strict=True))


def caller_exports(rng: random.Random) -> dict[str, bytes]:
    rows = []
    for (year, month), (_, _, n) in CALLER_MONTHS.items():
        dates = month_dates(year, month, n, rng, with_time=False)
        people = demographics(n, rng)
        month_rows = []
        for i in range(n):
            age, eth, gender = people[i]
            month_rows.append({"Response ID": f"C{year % 100:02d}{month:02d}{i:04d}", "Call Date": dates[i],
                               "Phone Number": f"07700 9{rng.randrange(10**5):05d}", "Age Group": age,
                               "Ethnicity": eth, "Gender": gender,
                               "Comments": rng.choice(CALLER_COMMENTS) if rng.random() < 0.4 else ""})  # fmt: skip
        assign_answers(month_rows, CALLER_HEADER[3], plan_for(n, 1.0, 62), EASY_POS, EASY_NEG, [], rng)
        assign_answers(month_rows, CALLER_HEADER[4], plan_for(n, 1.0, 84), SAT5_POS, SAT5_NEG, [], rng)
        assign_answers(month_rows, CALLER_HEADER[5], plan_for(n, 1.0, 80), SAT5_POS, SAT5_NEG, [], rng)
        assign_answers(month_rows, CALLER_HEADER[6], plan_for(n, 1.0, 78), ["Yes"], ["No", "Not sure"], [], rng)
        rows += month_rows
    mess = Mess(encoding="cp1252", vary_case=True, extra_column=True)
    volumes = (
        SYNTHETIC_TITLE.format(what="101 call volumes")
        + "\r\n\r\nMonth,Calls received,Survey invitations sent\r\n"
        + "".join(f"{dt.date(y, m, 1):%b %Y},{c},{inv}\r\n" for (y, m), (c, inv, _) in CALLER_MONTHS.items())
    )
    return {
        "caller_101_2019-01_to_2019-06.csv": render_csv(
            CALLER_HEADER, rows, mess, "101 caller survey", rng, labels=CALLER_HEADER[3:10]
        ),
        "volumes_caller_101.csv": volumes.encode(),
    }


# --------------------------------------------------------------------------- Live Chat

CHAT_HEADER = [
    "Chat ID", "Chat Started", "Handled By",
    "Q1 How would you rate Live Chat in terms of being able to provide you with what you needed?",
    "Q2 Would you use our online services again?", "Q3 Did we resolve your enquiry?",
    "Q4 Is there anything else you would like to tell us?",
]  # fmt: skip
CHAT_COMMENTS = {
    "Agent": ["Quick and easy.", "Nobody explained what happens next.", "The agent was kind and reassuring.",
              "Had to wait 20 minutes for an agent.", "Still waiting for an update on my report.",
              "Very helpful, thank you.", "Told my case was closed with no explanation."],
    "BOB-E": ["The bot did not understand me.", "BOB-E didn't understand my question.", "Quick and easy.",
              "Got the information I needed straight away.", "Nobody explained what happens next."],
}  # fmt: skip


def chat_month(year: int, month: int, n: int, pct: tuple[float, float, float], bot: int, rng: random.Random,
               exact: tuple[int, int, int] | None = None) -> list[dict]:  # fmt: skip
    first = dt.datetime(year, month, 1)
    days = ((first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - first).days
    handlers = exact_list({"Agent": n - bot, "BOB-E": bot}, rng)
    rows = []
    for i in range(n):
        start = first + dt.timedelta(seconds=rng.randrange(days * 86400))
        rows.append({"Chat ID": f"LC{year}{month:02d}{i:05d}", "Chat Started": start.strftime("%d/%m/%Y %H:%M:%S"),
                     "Handled By": handlers[i],
                     CHAT_HEADER[6]: rng.choice(CHAT_COMMENTS[handlers[i]]) if rng.random() < 0.3 else ""})  # fmt: skip
    positives = exact or tuple(round(n * p / 100) for p in pct)
    assign_answers(
        rows,
        CHAT_HEADER[3],
        AnswerPlan(0, positives[0]),
        ["Excellent", "Good"],
        ["Average", "Poor", "Very poor"],
        [],
        rng,
    )
    assign_answers(rows, CHAT_HEADER[4], AnswerPlan(0, positives[1]), ["Yes"], ["No", "Not sure"], [], rng)
    assign_answers(rows, CHAT_HEADER[5], AnswerPlan(0, positives[2]), ["Yes"], ["Partly", "No"], [], rng)
    return rows


def chat_exports(rng: random.Random) -> dict[str, bytes]:
    """Live Chat from its launch in August 2018 to September 2019, when BOB-E arrived.

    September 2019 reproduces the paper: 16,038 chats, 6,599 gave feedback; 4,685 (71.0%)
    rated it excellent or good, 5,675 (86.0%) would use online services again and 4,487
    (68.0%) had their enquiry resolved.
    """
    files: dict[str, bytes] = {}
    volumes = [SYNTHETIC_TITLE.format(what="Live Chat volumes"), "", "Month,Chats,Feedback invitations"]
    for year, month in months((2018, 8), (2019, 9)):
        if (year, month) == (2019, 9):
            chats, rows = 16038, chat_month(2019, 9, 6599, (0, 0, 0), 1400, rng, exact=(4685, 5675, 4487))
        else:
            chats = rng.randrange(11000, 15500)
            n = round(chats * rng.uniform(0.38, 0.43))
            rows = chat_month(
                year, month, n, (rng.uniform(70.5, 73), rng.uniform(85, 87.5), rng.uniform(66.5, 69.5)), 0, rng
            )
        volumes.append(f"{dt.date(year, month, 1):%b %Y},{chats},{chats}")
        mess = Mess(encoding="utf-8-sig" if month % 2 else "utf-8", vary_case=True)
        files[f"live_chat_{year}-{month:02d}.csv"] = render_csv(CHAT_HEADER, rows, mess, "Live Chat feedback", rng,
                                                                labels=CHAT_HEADER[2:6])  # fmt: skip
    files["volumes_live_chat.csv"] = ("\r\n".join(volumes) + "\r\n").encode()
    return files


# --------------------------------------------------------------------------- domestic abuse

DA_HEADER = [
    "Response ID", "Survey Completed", "NPU",
    "Q1 How satisfied were you with how well the police dealt with any children who were present?",
    "Q2 How satisfied were you with the initial actions taken by the police?",
    "Q3 How satisfied were you with how well you were kept informed of progress?",
    "Q4 How satisfied were you that the police cared about you?",
    "Q5 How satisfied were you with how you were treated by the officers and staff who dealt with you?",
    "Q6 Taking the whole experience into account, how satisfied are you with the service provided?",
    "Age Group", "Ethnicity", "Gender",
]  # fmt: skip
# September 2019, the paper's latest: 15/32 = 47%, 22/36 = 61%, 18/37 = 49%, 25/36 = 69%,
# 27/36 = 75%, 24/37 = 65% (38 responses; 6 had no children present or left it blank).
DA_SEPTEMBER = [AnswerPlan(6, 15), AnswerPlan(2, 22), AnswerPlan(1, 18), AnswerPlan(2, 25), AnswerPlan(2, 27),
                AnswerPlan(1, 24)]  # fmt: skip
DA_TYPICAL = [48, 60, 47, 68, 74, 63]


def da_exports(rng: random.Random) -> dict[str, bytes]:
    rows = []
    for year, month in months((2018, 4), (2019, 9)):
        n = 38 if (year, month) == (2019, 9) else rng.randrange(24, 45)
        dates = month_dates(year, month, n, rng, with_time=False)
        people = demographics(n, rng)
        month_rows = [{"Response ID": f"DA{year % 100:02d}{month:02d}{i:03d}", "Survey Completed": dates[i],
                       "NPU": rng.choices(NPUS, weights=NPU_WEIGHTS)[0], "Age Group": people[i][0],
                       "Ethnicity": people[i][1], "Gender": rng.choices(GENDERS, weights=[85, 12, 1, 2])[0]}
                      for i in range(n)]  # fmt: skip
        for q in range(6):
            if (year, month) == (2019, 9):
                plan = DA_SEPTEMBER[q]
            else:
                plan = plan_for(n, 0.85 if q == 0 else 0.96, DA_TYPICAL[q] + rng.uniform(-6, 6))
            excluded = ["Not applicable - no children were present"] if q == 0 else ["Don't know"]
            assign_answers(month_rows, DA_HEADER[3 + q], plan, SAT7_POS, SAT7_NEG, excluded, rng, blank_share=0.2)
        rows += month_rows
    mess = Mess(encoding="utf-8", vary_case=True, header_spaces=True)
    return {"domestic_abuse_2018-04_to_2019-09.csv": render_csv(DA_HEADER, rows, mess, "Domestic abuse victim survey",
                                                                rng, labels=DA_HEADER[2:])}  # fmt: skip


# --------------------------------------------------------------------------- public confidence

PC_HEADER = [
    "Respondent ID", "Survey", "Fieldwork Date", "NPU", "Postcode District", "Contact with police in last 12 months",
    "Q1 Taking everything into account, how good a job do you think the police in this area are doing?",
    "Q2 The police in this area can be relied on to be there when you need them",
    "Q3 The police in this area treat everyone fairly regardless of who they are",
    "Q4 The police in this area understand the issues that affect this community",
    "Q5 Taking everything into account, I have confidence in the police in this area",
    "Age Group", "Ethnicity", "Gender",
]  # fmt: skip
AGREE_POS = ["Strongly agree", "Tend to agree"]
AGREE_NEG = ["Neither agree nor disagree", "Tend to disagree", "Strongly disagree"]
CONTACT = ["Yes - I contacted the police", "Yes - the police approached me", "No contact in the last 12 months"]


def pc_exports(rng: random.Random) -> dict[str, bytes]:
    """Quarterly, July 2018 to September 2019, both surveys in one export per quarter."""
    files = {}
    targets = [55, 46, 61, 62, 66]
    for year, quarter in [(2018, 3), (2018, 4), (2019, 1), (2019, 2), (2019, 3)]:
        n = rng.randrange(1100, 1400)
        first_month = 3 * quarter - 2
        dates = [d for m in range(first_month, first_month + 3) for d in month_dates(year, m, n // 3 + 1, rng, False)][
            :n
        ]
        people = demographics(n, rng)
        rows = []
        for i in range(n):
            npu = rng.choices(NPUS, weights=NPU_WEIGHTS)[0]
            rows.append({"Respondent ID": f"PV{year % 100}Q{quarter}{i:04d}",
                         "Survey": rng.choice(["Public Voice", "How are we Doing"]), "Fieldwork Date": dates[i],
                         "NPU": npu, "Postcode District": rng.choice(NPU_DISTRICTS[npu]),
                         "Contact with police in last 12 months": rng.choices(CONTACT, weights=[18, 7, 75])[0],
                         "Age Group": people[i][0], "Ethnicity": people[i][1], "Gender": people[i][2]})  # fmt: skip
        for q, target in enumerate(targets):
            positive, negative = (
                (["Excellent", "Good"], ["Fair", "Poor", "Very poor"]) if q == 0 else (AGREE_POS, AGREE_NEG)
            )
            plan = plan_for(n, 0.9, target + rng.uniform(-2, 2))
            assign_answers(rows, PC_HEADER[6 + q], plan, positive, negative, ["Don't know"], rng, blank_share=0.1)
        mess = Mess(encoding="utf-8-sig", vary_case=True, straight_apostrophe=True)
        files[f"public_confidence_{year}-Q{quarter}.csv"] = render_csv(
            PC_HEADER,
            rows,
            mess,
            "Public confidence surveys",
            rng,
            labels=[*PC_HEADER[1:2], *PC_HEADER[3:4], *PC_HEADER[5:]],
        )
    return files


# --------------------------------------------------------------------------- Victims' Code dip sample

CODE_HEADER = [
    "Crime Reference", "Review Date", "Reviewer", "Department", "NPU", "Offence Group", "Enhanced Entitlements",
    "Needs assessment completed", "Written acknowledgement given", "Referred to victim services within 2 working days",
    "Told of investigation decisions in time", "Told of arrest, charge or bail in time",
    "Offered a Victim Personal Statement", "Kept informed as agreed", "Good Service Provided", "Service Recovery",
    "Reviewer Notes",
]  # fmt: skip
ENTITLEMENTS = CODE_HEADER[7:14]
NEEDS, ACK, REFERRAL, DECISIONS, ARREST, VPS, KEPT = ENTITLEMENTS
REVIEWERS = ["PS 4411 J. Bloggs", "DS 2290 A. Khan", "Insp 1023 M. Price", "PS 3107 R. Singh", "DC 5120 L. Evans"]
DEPARTMENTS = ["Force Contact", "Response", "Neighbourhood", "FCID", "Public Protection Unit", "Criminal Justice"]
CODE_OFFENCES = {"Burglary": 60, "Theft": 58, "Vehicle crime": 40, "Damage": 34, "Violence": 34, "Robbery": 14}
# The victim survey's offence groups as the dip sample writes them.
SURVEY_OFFENCE = {"Violence against the person": "Violence", "Criminal damage": "Damage"}
MISSED_NOTE = {
    REFERRAL: "Referral made late (day 4).",
    KEPT: "Victim not updated after suspect bailed; call back arranged.",
    VPS: "No VPS offered at charge.",
    DECISIONS: "Victim not told the case was filed.",
    NEEDS: "No needs assessment on file.",
}
MET_NOTES = [
    "Good contact plan, updated weekly.",
    "Call handler gave clear advice.",
    "Victim asked not to be referred.",
]
# Reviewers' notes hold numbers too: masked at import ([phone], [crime ref]) like any comment.
NUMBER_NOTES = [
    "Spoke to victim on 07700 900461; apologised for the delay.",
    "Linked to 20/118204/19; victim updated.",
]


@dataclass
class DipQuarter:
    """Exact counts for one quarter's dip sample."""

    cases: int
    all_met: int  # cases with every applicable entitlement met
    enhanced: int  # cases with enhanced entitlements
    enhanced_all_met: int
    applies: dict[str, int]  # cases each entitlement applied to (the rest: Not applicable)
    missed: dict[str, int]  # cases each entitlement was missed in (all among the cases not all met)
    good_service_no: int  # of the cases not all met: a service recovery was needed
    recovery_open: int  # of those, still open at the export
    shared: int  # cases that are also victim survey responses (same crime reference)
    blank_kept_informed: int = 0  # cells left blank by the reviewer (the case's "all met" is then unknown)


def dip_2019_q3() -> DipQuarter:
    """The quarter the paper reports (paragraph 39): 240 cases dip-sampled, mostly high-volume crime; a good
    level of compliance (156/240 = 65.0% with every applicable entitlement met), higher in the most serious
    and complex cases (enhanced entitlements 51/60 = 85.0% against 105/180 = 58.3%); referral to victim
    services the entitlement most often missed (160/216 = 74.1% met), where the paper says more improvement
    could be made; every shortcoming needing it went into service recovery, 48 of 60 (80.0%) completed."""
    return DipQuarter(
        cases=240, all_met=156, enhanced=60, enhanced_all_met=51,
        applies={NEEDS: 240, ACK: 240, REFERRAL: 216, DECISIONS: 228, ARREST: 108, VPS: 118, KEPT: 240},
        missed={NEEDS: 18, ACK: 10, REFERRAL: 56, DECISIONS: 30, ARREST: 16, VPS: 22, KEPT: 38},
        good_service_no=60, recovery_open=12, shared=18,
    )  # fmt: skip


def typical_dip_quarter(cases: int, all_met_pct: float, shared: int, rng: random.Random) -> DipQuarter:
    """An earlier quarter around the latest's shape: referral still the most often missed."""
    q3 = dip_2019_q3()
    scale = cases / q3.cases
    all_met = round(cases * all_met_pct / 100)
    enhanced = round(cases * 0.25)
    enhanced_all_met = min(enhanced, round(enhanced * rng.uniform(0.8, 0.88)))
    short = (cases - all_met) / (q3.cases - q3.all_met)
    applies = {e: min(cases, round(n * scale * rng.uniform(0.97, 1.03))) for e, n in q3.applies.items()}
    missed = {e: max(1, round(n * short * rng.uniform(0.85, 1.15))) for e, n in q3.missed.items()}
    missed[REFERRAL] = max(missed[REFERRAL], round(applies[REFERRAL] * rng.uniform(0.27, 0.31)))
    needed = round((cases - all_met) * rng.uniform(0.68, 0.74))
    still_open = round(needed * rng.uniform(0.05, 0.12))
    return DipQuarter(cases, all_met, enhanced, enhanced_all_met, applies, missed, needed, still_open, shared,
                      blank_kept_informed=rng.randrange(1, 4))  # fmt: skip


# The quarters reviewed: 2019-Q1 fell short of the 240-case target; the latest is the paper's.
DIP_QUARTERS: dict[tuple[int, int], tuple[int, float, int]] = {
    (2018, 3): (240, 58.8, 6), (2018, 4): (240, 60.4, 15), (2019, 1): (226, 61.5, 14), (2019, 2): (240, 62.9, 17),
}  # fmt: skip


def _quarter_dates(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, 3 * quarter - 2, 1)
    last = (dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)) - dt.timedelta(days=1)
    return first, last


def _shared_cases(answered: list[dict], year: int, quarter: int, n: int, rng: random.Random) -> list[dict]:
    """``n`` victim survey responses completed in the quarter whose cases are reviewed too (each case once)."""
    first, last = _quarter_dates(year, quarter)
    seen: set[str] = set()
    pool = []
    for r in answered:
        done = dt.datetime.strptime(r["Survey Completed"], "%d/%m/%Y %H:%M").date()
        if first <= done <= last and r["Crime Reference"] not in seen:
            seen.add(r["Crime Reference"])
            pool.append(r)
    return rng.sample(pool, n)


def _other_reference(year: int, taken: set[str], rng: random.Random) -> str:
    """A crime reference no victim survey response holds, in the forms the dip sample writes them."""
    while True:
        prefix = rng.choices(["20", "20FC", "20BE"], weights=[5, 4, 1])[0]
        ref = f"{prefix}/{rng.randrange(10**5, 10**6):06d}/{year % 100}"
        if ref not in taken:
            taken.add(ref)
            return ref


def dip_rows(year: int, quarter: int, plan: DipQuarter, answered: list[dict], taken: set[str],
             rng: random.Random) -> list[dict]:  # fmt: skip
    """One quarter's dip sample, each count exact; the cases not all met are more often those whose victim
    was not satisfied with the whole experience (so the two can be compared where they share a case)."""
    n = plan.cases
    first, last = _quarter_dates(year, quarter)
    shared = _shared_cases(answered, year, quarter, plan.shared, rng)
    offences = exact_list(spread(n - len(shared), list(CODE_OFFENCES.values()), list(CODE_OFFENCES)), rng)
    rows: list[dict] = []
    for i in range(n):
        row: dict = {"Reviewer": rng.choice(REVIEWERS)}
        if i < len(shared):  # a victim who answered the survey: not vulnerable, so no enhanced entitlements
            victim = shared[i]
            reported = dt.datetime.strptime(victim["Date Reported"], "%d/%m/%Y").date()
            ref = victim["Crime Reference"]
            row |= {"Crime Reference": ref.lower() if i % 4 == 0 else ref, "NPU": victim["NPU"],
                    "Offence Group": SURVEY_OFFENCE.get(victim["Offence Group"], victim["Offence Group"]),
                    "__satisfied": victim[VQ["overall"]] in SAT7_POS,
                    "__dissatisfied": victim[VQ["overall"]] in SAT7_NEG}  # fmt: skip
            earliest = max(first, reported + dt.timedelta(days=14))
        else:
            npu = rng.choices(NPUS, weights=NPU_WEIGHTS)[0]
            ref = _other_reference(year, taken, rng)
            row |= {"Crime Reference": ref, "NPU": npu, "Offence Group": offences[i - len(shared)]}
            earliest = first
        span = max((last - earliest).days, 0)
        row["Review Date"] = (min(earliest, last) + dt.timedelta(days=rng.randrange(span + 1))).strftime("%d/%m/%Y")
        rows.append(row)
    # Enhanced entitlements: only among the cases no survey answered (vulnerable victims are not surveyed).
    others = list(range(len(shared), n))
    enhanced = set(rng.sample(others, plan.enhanced))
    for i, row in enumerate(rows):
        row["Enhanced Entitlements"] = "Yes" if i in enhanced else "No"
        weights = [8, 4, 4, 6, 5, 2] if i in enhanced else [40, 14, 20, 10, 3, 5]
        row["Department"] = rng.choices(DEPARTMENTS, weights=weights)[0]
    # The cases not all met: exact numbers among enhanced and other cases; a dissatisfied victim's case is more
    # likely among them, a satisfied one's less.
    noise = random.Random(f"dip {year} {quarter}")

    def lean(i: int) -> float:
        return noise.random() + (0.15 if rows[i].get("__dissatisfied") else -0.1 if rows[i].get("__satisfied") else 0)

    plain = sorted((i for i in range(n) if i not in enhanced), key=lambda i: -lean(i))
    short_enhanced = rng.sample(sorted(enhanced), plan.enhanced - plan.enhanced_all_met)
    short = set(short_enhanced) | set(plain[: (n - plan.all_met) - len(short_enhanced)])
    # Which entitlements applied: arrest, charge or bail and the personal statement more often in enhanced cases.
    applies: dict[str, set[int]] = {}
    for e in ENTITLEMENTS:
        if plan.applies[e] >= n:
            applies[e] = set(range(n))
            continue
        ranked = sorted(range(n), key=lambda i: -(rng.random() + (0.5 if i in enhanced and e in (ARREST, VPS) else 0)))
        applies[e] = set(ranked[: plan.applies[e]])
    # Misses: every case not all met misses at least one entitlement, then each entitlement's own number.
    left = dict(plan.missed)
    missed: dict[int, set[str]] = {i: set() for i in short}
    for i in sorted(short):
        open_ones = [e for e in ENTITLEMENTS if i in applies[e] and left[e] > 0]
        e = rng.choices(open_ones, weights=[left[x] for x in open_ones])[0]
        missed[i].add(e)
        left[e] -= 1
    for e in ENTITLEMENTS:
        room = [i for i in sorted(short) if i in applies[e] and e not in missed[i]]
        for i in rng.sample(room, left[e]):
            missed[i].add(e)
    blank = set(rng.sample(sorted(set(range(n)) - short), plan.blank_kept_informed))
    for i, row in enumerate(rows):
        for e in ENTITLEMENTS:
            met = "No" if e in missed.get(i, set()) else "Yes"
            row[e] = "" if (e == KEPT and i in blank) else met if i in applies[e] else "Not applicable"
    # Good service: not provided in the cases with the most shortcomings, which then needed a service recovery.
    worst = sorted(short, key=lambda i: -(len(missed[i]) + (1 if KEPT in missed[i] else 0) + rng.random()))
    recovery = worst[: plan.good_service_no]
    still_open = set(rng.sample(recovery, plan.recovery_open))
    for i, row in enumerate(rows):
        needed = i in recovery
        row["Good Service Provided"] = "No" if needed else "Yes"
        row["Service Recovery"] = ("Open" if i in still_open else "Completed") if needed else "Not needed"
        reasons = sorted(missed.get(i, set()) & set(MISSED_NOTE), key=ENTITLEMENTS.index)
        if reasons:
            row["Reviewer Notes"] = MISSED_NOTE[reasons[0]]
        elif rng.random() < 0.05:
            row["Reviewer Notes"] = rng.choice(NUMBER_NOTES)
        else:
            row["Reviewer Notes"] = rng.choice(MET_NOTES) if rng.random() < 0.5 else ""
    rng.shuffle(rows)
    return rows


def victims_code_exports(rng: random.Random, answered: list[dict]) -> dict[str, bytes]:
    """A quarterly dip sample export, July 2018 to September 2019 (240 cases a quarter but one); in each quarter
    some cases are ones whose victim answered the victim survey, under the same crime reference."""
    taken = {r["Crime Reference"] for r in answered}
    files = {}
    for (year, quarter), (cases, pct, shared) in [*DIP_QUARTERS.items(), ((2019, 3), (240, 65.0, 18))]:
        plan = dip_2019_q3() if (year, quarter) == (2019, 3) else typical_dip_quarter(cases, pct, shared, rng)
        rows = dip_rows(year, quarter, plan, answered, taken, rng)
        mess = Mess(encoding="utf-8-sig" if quarter % 2 else "utf-8", vary_case=True)
        files[f"victims_code_{year}-Q{quarter}.csv"] = render_csv(
            CODE_HEADER, rows, mess, "Victims' Code dip sample", rng, labels=CODE_HEADER[3:16]
        )
    return files


# --------------------------------------------------------------------------- all


def sample_files(seed: int = 2019) -> dict[str, dict[str, bytes]]:
    """dataset -> {file name: bytes}, made from one seeded random stream per dataset."""
    answered: list[dict] = []  # every victim's response: the dip sample reviews some of the same cases
    out = {
        "victim": victim_exports(random.Random(seed), answered),
        "wmnow": {"wmnow_members.csv": wmnow_export(random.Random(seed + 1))},
        "caller_101": caller_exports(random.Random(seed + 2)),
        "live_chat": chat_exports(random.Random(seed + 3)),
        "domestic_abuse": da_exports(random.Random(seed + 4)),
        "public_confidence": pc_exports(random.Random(seed + 5)),
        "victims_code": victims_code_exports(random.Random(seed + 6), answered),
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
